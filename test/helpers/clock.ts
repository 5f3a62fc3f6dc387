/** A clock the test moves by hand. */
export function testClock(start = '2025-01-01T00:00:00Z') {
  let now = new Date(start);
  return {
    now: () => now,
    advance(seconds: number) {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
}
