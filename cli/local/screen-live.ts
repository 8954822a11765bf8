/**
 * Where `switchyard local` prints: on a person's terminal, permanent lines above one live region at the bottom,
 * redrawn in place (cursor up, erase down) at most four times a second; anywhere else, plain lines only.
 * Each redraw and each permanent line is one write, so the lines above the region never flicker.
 */
import { colourWanted, fitWidth, type Paint, paint, type ScreenStream } from './screen-style';

/** What the progress writes to. */
export interface Screen {
  /** Prints a permanent line (above the live region, which is drawn again below it). */
  print(line: string): void;
  /** True when there is a live region (a terminal); false for plain lines. */
  readonly live: boolean;
  readonly paint: Paint;
  /** What the live region shows, asked for at each redraw; undefined empties it. A throw shows nothing. */
  show(render: (() => string[]) | undefined): void;
  /** Empties the live region and stops its timer. */
  close(): void;
}

/** How often the live region is redrawn: 4 Hz. */
export const REDRAW_MS = 250;

/**
 * The screen for `stream`: live when `live` is asked for and the stream is a terminal; coloured when also
 * NO_COLOR is unset.
 */
export function openScreen(
  stream: ScreenStream,
  options: { live: boolean; env?: NodeJS.ProcessEnv },
): Screen {
  const colours = paint(options.live && colourWanted(stream, options.env));
  if (!options.live || stream.isTTY !== true) return plainScreen((line) => stream.write(`${line}\n`));
  return new LiveScreen(stream, colours);
}

/** Plain lines through `print`, no live region, no colour. */
export function plainScreen(print: (line: string) => void): Screen {
  return { print, live: false, paint: paint(false), show: () => undefined, close: () => undefined };
}

class LiveScreen implements Screen {
  readonly live = true;
  private render: (() => string[]) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The region as last drawn, and how many lines it takes. */
  private drawn = '';
  private height = 0;

  constructor(
    private readonly stream: ScreenStream,
    readonly paint: Paint,
  ) {}

  print(line: string): void {
    const region = this.frame();
    this.stream.write(`${this.erase()}${line}\n${region}`);
    this.remember(region);
  }

  show(render: (() => string[]) | undefined): void {
    this.render = render;
    if (render && !this.timer) {
      this.timer = setInterval(() => this.redraw(), REDRAW_MS);
      // The region never keeps the process alive.
      this.timer.unref();
    } else if (!render) this.stopTimer();
    this.redraw();
  }

  close(): void {
    this.render = undefined;
    this.stopTimer();
    this.redraw();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private redraw(): void {
    const region = this.frame();
    if (region === this.drawn) return;
    this.stream.write(`${this.erase()}${region}`);
    this.remember(region);
  }

  private frame(): string {
    let lines: string[] = [];
    try {
      lines = this.render?.() ?? [];
    } catch {
      // The live details are a view: a fault in them shows nothing rather than failing the run.
      lines = [];
    }
    // A terminal that reports no size (0 columns) gets the usual 80.
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    return lines.map((line) => `${fitWidth(line, width)}\n`).join('');
  }

  private erase(): string {
    // To the start of the region's first line, then erase to the end of the screen.
    return this.height > 0 ? `\r\x1b[${this.height}A\x1b[J` : '';
  }

  private remember(region: string): void {
    this.drawn = region;
    this.height = region === '' ? 0 : region.split('\n').length - 1;
  }
}
