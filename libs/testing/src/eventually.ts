/**
 * Retries `check` (every 10 ms) until it stops throwing (or its promise stops rejecting), for effects
 * that arrive asynchronously. The default bound is generous: it only decides how soon a broken behaviour
 * fails, and a loaded machine must not make a working one fail.
 */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
