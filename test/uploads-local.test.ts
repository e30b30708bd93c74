import { describeUploads, filesUnder } from './support/upload-suite.js';
import { tempDir } from './support/test-app.js';

describeUploads('the local folder', async () => {
  const uploadDir = tempDir();
  return { overrides: { uploadDir }, stored: async () => filesUnder(uploadDir).filter((f) => !f.startsWith('.staging')) };
});
