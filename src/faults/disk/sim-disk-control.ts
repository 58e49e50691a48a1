import type { DiskControl, DiskFaults } from './disk-types.js';
import type { SimDisk } from './sim-disk.js';

/** The harness's handle on the simulated disk (`control.disk`). Every call acts at once. */
export class SimDiskControl implements DiskControl {
  constructor(private readonly disk: SimDisk) {}

  async setFaults(faults: Partial<DiskFaults>): Promise<void> {
    this.disk.setFaults(faults);
  }

  async corruptSector(path: string, offset: number): Promise<void> {
    this.disk.corruptSector(path, offset);
  }

  async crash(): Promise<void> {
    this.disk.crash();
  }

  async restart(): Promise<void> {
    this.disk.restart();
  }
}
