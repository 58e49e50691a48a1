import { MarionetteError } from '../kernel/errors.js';

/** A node id outside `0..nodes-1` was given to the network. */
export class InvalidNode extends MarionetteError {
  override name = 'InvalidNode';
}

/** Simulated code polled without ever letting simulated time pass (a busy loop). */
export class Livelock extends MarionetteError {
  override name = 'Livelock';
}

/** Disk I/O while the simulated disk is crashed (until `control.disk.restart()`). */
export class DiskCrashed extends MarionetteError {
  override name = 'DiskCrashed';
  /** Node-style error code, like the errors of `node:fs`. */
  readonly code = 'EDISKCRASHED';
}

/** An injected disk read or write error (`readErrorRate`, `writeErrorRate`). */
export class DiskIoError extends MarionetteError {
  override name = 'DiskIoError';
  /** Node-style error code, like the errors of `node:fs`. */
  readonly code = 'EIO';
}

/** Bytes a codec could not decode. Carries the sender and the size of what arrived. */
export class CodecError extends MarionetteError {
  override name = 'CodecError';
  constructor(
    message: string,
    /** The node the malformed bytes came from. */
    readonly from: number,
    /** How many bytes arrived. */
    readonly byteLength: number,
  ) {
    super(message);
  }
}
