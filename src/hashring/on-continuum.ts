import type {Continuum} from './continuum.js'
import {Placement} from './placement.js'

/**
 * A placement that reads a key's owners off a continuum of points (ring.ts, ketama.ts): the owner
 * of the first point at or after the key's hash, and for r replicas the first r distinct owners
 * walking clockwise from there. Subclasses build the points; bounded.ts walks its own way.
 */
export abstract class ContinuumPlacement extends Placement {
  abstract readonly continuum: Continuum

  protected pick(): number {
    const c = this.continuum
    return c.owners[c.find(this.kh)]!
  }

  protected pickN(r: number, out: number[]): void {
    this.continuum.distinctFrom(this.continuum.find(this.kh), r, out)
  }

  memoryBytes(): number {
    return this.continuum.memoryBytes()
  }
}
