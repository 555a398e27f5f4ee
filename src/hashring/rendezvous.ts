import {normalizeConfig, weightOf, type NormalConfig, type RingConfig} from './config.js'
import {h64, murmur3String} from './murmur3.js'
import {Placement} from './placement.js'
import {fmix64, top53, u64} from './u64.js'

/**
 * Rendezvous or highest-random-weight hashing (Thaler & Ravishankar, 1996): every node scores
 * every key, and the key goes to the highest score. dtk's score of key k on node n is
 * fmix64(hash64(k) XOR hash64(n)), MurmurHash3's 64-bit finaliser, of which the top 53 bits are
 * used; a tie (one in 2^53) goes to the smaller node id.
 *
 * Weighted nodes use the logarithmic method (Schindelhauer & Schomaker, 2005; the score
 * −w / ln(u) with u the 53-bit score as a fraction in (0, 1)), which gives node i exactly the
 * share w_i / Σw. With equal weights that order is the order of u itself, so dtk compares u and
 * skips the logarithm.
 *
 * Adding or removing a node moves only the keys whose top score it has or had: the ideal
 * 1/(n + 1) on a join, only its own keys on a leave, wherever it is. Lookups cost O(n).
 * Replicas are the r highest scores.
 */
export class RendezvousPlacement extends Placement {
  readonly algo = 'rendezvous' as const
  private readonly idx: Int32Array
  private readonly seedHi: Uint32Array
  private readonly seedLo: Uint32Array
  private readonly weight: Float64Array
  private readonly weighted: boolean
  /** Node index → rank of its id among the live ids, for the tie-break. */
  private readonly rank: Int32Array
  private readonly score: Float64Array

  constructor(config: NormalConfig) {
    super(config)
    const live = config.nodes.map((id, i) => ({id, i})).filter((x): x is {id: string; i: number} => x.id !== null)
    const n = live.length
    this.idx = new Int32Array(n)
    this.seedHi = new Uint32Array(n)
    this.seedLo = new Uint32Array(n)
    this.weight = new Float64Array(n)
    this.rank = new Int32Array(n)
    this.score = new Float64Array(n)
    const rankOf = new Map(
      live
        .map((x) => x.id)
        .sort()
        .map((id, r) => [id, r]),
    )
    live.forEach(({id, i}, k) => {
      this.idx[k] = i
      this.seedHi[k] = murmur3String(id)
      this.seedLo[k] = h64.lo
      this.weight[k] = weightOf(config, id)
      this.rank[k] = rankOf.get(id)!
    })
    this.weighted = this.weight.some((w) => w !== 1)
  }

  /** The score of the current key on live node k (larger wins). */
  private scoreOf(k: number): number {
    const lo = fmix64((this.kh ^ this.seedHi[k]!) >>> 0, (this.kl ^ this.seedLo[k]!) >>> 0)
    const u = top53(u64.hi, lo)
    if (!this.weighted) return u
    return -this.weight[k]! / Math.log((u + 0.5) / 9007199254740992)
  }

  private better(k: number, s: number, best: number, bestScore: number): boolean {
    return s > bestScore || (s === bestScore && this.rank[k]! < this.rank[best]!)
  }

  protected pick(): number {
    let best = 0
    let bestScore = this.scoreOf(0)
    for (let k = 1; k < this.idx.length; k++) {
      const s = this.scoreOf(k)
      if (this.better(k, s, best, bestScore)) {
        best = k
        bestScore = s
      }
    }
    return this.idx[best]!
  }

  protected pickN(r: number, out: number[]): void {
    const n = this.idx.length
    const score = this.score
    for (let k = 0; k < n; k++) score[k] = this.scoreOf(k)
    // r passes of selection: r is small next to n.
    const chosen: number[] = []
    for (let j = 0; j < r; j++) {
      let best = -1
      for (let k = 0; k < n; k++) {
        if (chosen.includes(k)) continue
        if (best < 0 || this.better(k, score[k]!, best, score[best]!)) best = k
      }
      chosen.push(best)
      out[j] = this.idx[best]!
    }
  }

  memoryBytes(): number {
    return this.idx.byteLength + this.seedHi.byteLength + this.seedLo.byteLength + this.weight.byteLength + this.rank.byteLength + this.score.byteLength
  }

  protected rebuild(config: RingConfig): Placement {
    return new RendezvousPlacement(normalizeConfig(config))
  }
}
