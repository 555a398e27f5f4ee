import {normalizeConfig, weightOf, type NormalConfig, type RingConfig} from './config.js'
import {Continuum} from './continuum.js'
import {md5Bytes, md5Out, md5String} from './md5.js'
import {ContinuumPlacement} from './on-continuum.js'
import type {Placement} from './placement.js'

/**
 * libketama's ring (Last.fm, 2007), as the npm `hashring` package 3.x builds it, so that a ketama
 * client and dtk place every key on the same server:
 *
 * - server i (weight w, total weight W, N servers) gets ks = floor(w / W · 40 · N) MD5 digests,
 *   of "<server>-<k>" for k = 0…ks−1 (ks = 40 for equal weights);
 * - each digest gives 4 points, its four little-endian 32-bit words: 160 points per server;
 * - points are sorted (stably, so collisions keep server order), and a key goes to the first
 *   point at or after MD5(key)'s first little-endian word, wrapping to the first point;
 * - r replicas are the first r distinct servers walking clockwise (hashring's `range`).
 *
 * libketama computes w / W in single precision and hashring in double; the two disagree for some
 * N (7 equal servers: 40 digests in libketama, 39 in hashring). `ketama: 'libketama'` follows the C.
 * Removing a server hands its arcs to the next points' owners, as on any ring; when N changes,
 * every server's digest count is recomputed, which for most N leaves it at 40 but not for all.
 */
export class KetamaPlacement extends ContinuumPlacement {
  readonly algo = 'ketama' as const
  readonly continuum: Continuum

  constructor(config: NormalConfig) {
    super(config)
    const points: number[] = []
    const owners: number[] = []
    const live = this.nodes.length
    let total = 0
    for (const id of this.nodes) total += weightOf(config, id)
    config.nodes.forEach((id, i) => {
      if (id === null) return
      const digests = ketamaDigests(weightOf(config, id), total, live, config.ketama)
      for (let k = 0; k < digests; k++) {
        md5String(`${id}-${k}`)
        points.push(md5Out.a, md5Out.b, md5Out.c, md5Out.d)
        owners.push(i, i, i, i)
      }
    })
    this.continuum = new Continuum(points, owners, config.nodes.length)
  }

  protected override hashKey(key: string): void {
    this.kh = md5String(key)
  }

  protected override hashKeyBytes(b: Uint8Array, start: number, end: number): void {
    this.kh = md5Bytes(b, start, end)
  }

  protected rebuild(config: RingConfig): Placement {
    return new KetamaPlacement(normalizeConfig(config))
  }
}

/** How many MD5 digests (4 points each) a server gets: ketama.c's `ks`, or hashring's `length`. */
export function ketamaDigests(weight: number, totalWeight: number, servers: number, mode: 'hashring' | 'libketama'): number {
  if (mode === 'hashring') return Math.floor((weight / totalWeight) * 40 * servers)
  // ketama.c: float pct = (float)w / (float)W; ks = floorf(pct * 40.0 * (float)n): the product is
  // a double, converted to float by floorf's argument.
  const pct = Math.fround(Math.fround(weight) / Math.fround(totalWeight))
  return Math.floor(Math.fround(pct * 40.0 * servers))
}
