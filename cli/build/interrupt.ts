/** The build's timeout and StopBuild signal: what cuts a build short, and how it reports that. */
import type { PhaseContext } from './types';

/** Why a build was cut short. */
export class Interrupted extends Error {
  override name = 'Interrupted' as const;
  constructor(readonly reason: 'TIMED_OUT' | 'STOPPED') {
    super(reason === 'TIMED_OUT' ? 'Build has timed out.' : 'Build was stopped.');
  }

  get context(): PhaseContext {
    return {
      statusCode: this.reason === 'TIMED_OUT' ? 'BUILD_TIMED_OUT' : 'BUILD_STOPPED',
      message: this.message,
    };
  }
}

/** The build's timeout and StopBuild signal, as one abort signal. */
export class Interrupt {
  reason: 'TIMED_OUT' | 'STOPPED' | undefined;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.fire('STOPPED');

  constructor(
    private readonly external: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ) {
    if (external?.aborted) this.fire('STOPPED');
    external?.addEventListener('abort', this.onAbort, { once: true });
    this.timer = timeoutMs === undefined ? undefined : setTimeout(() => this.fire('TIMED_OUT'), timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  throwIfFired(): void {
    if (this.reason) throw new Interrupted(this.reason);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.external?.removeEventListener('abort', this.onAbort);
  }

  private fire(reason: 'TIMED_OUT' | 'STOPPED'): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller.abort(new Interrupted(reason));
  }
}
