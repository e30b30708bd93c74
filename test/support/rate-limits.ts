/** Rate limits no test reaches (tests of the limits set their own): every kind of the config's `rateLimits`. */
export function generousRateLimits() {
  const generous = { points: 1_000_000, durationSeconds: 1 };
  return {
    message: generous,
    typing: generous,
    joinRoom: generous,
    other: generous,
    history: generous,
    connectPerIp: generous,
    connectPerUser: generous,
  };
}
