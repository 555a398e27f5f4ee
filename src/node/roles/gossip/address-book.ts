import type {Member, MembershipEvent} from '../../../gossip/index.js'
import type {PeerAddress} from '../../../transport/index.js'

/** The most addresses kept for ids the core does not know (datagrams from strangers), beyond its members and seeds. */
export const MAX_STRANGERS = 256

/** `host:port` (or `[v6]:port`) from a member's `addr` tag. */
export function parseAddr(id: string, addr: string | undefined): PeerAddress | undefined {
  const m = addr ? /^(.*):(\d+)$/.exec(addr) : null
  return m ? {id, host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2])} : undefined
}

/**
 * Where each member is, for the gossip shell. A member's address travels in its tags (`addr`),
 * so the core never knows about addresses; seeds are known from the command line, and a
 * member's datagrams tell where it is before its tags arrive (UDP and TCP share the port
 * number). Addresses of ids the core does not know are kept only up to MAX_STRANGERS, so spoofed
 * sender ids cannot grow the book without bound, and a member the core forgets is dropped.
 */
export class AddressBook {
  private readonly book = new Map<string, PeerAddress>()
  private readonly seeds: Set<string>

  constructor(
    seeds: PeerAddress[],
    private readonly member: (id: string) => Member | undefined,
    private readonly memberCount: () => number,
  ) {
    this.seeds = new Set(seeds.map((p) => p.id))
    for (const p of seeds) this.book.set(p.id, p)
  }

  get size(): number {
    return this.book.size
  }

  /** A datagram from `p.id` arrived from `p`'s address; kept unless its sender is already known. */
  heard(p: PeerAddress): void {
    if (this.book.has(p.id)) return
    this.book.set(p.id, p)
    if (this.book.size <= this.memberCount() + MAX_STRANGERS + this.seeds.size) return
    for (const id of this.book.keys()) if (!this.seeds.has(id) && id !== p.id && this.member(id) === undefined) this.book.delete(id)
  }

  /** The core's news: a member's tags (its address), or a member forgotten. */
  onEvent(e: MembershipEvent): void {
    const learned = parseAddr(e.member, e.tags?.addr)
    if (learned) this.book.set(e.member, learned)
    if (e.type === 'forget' && !this.seeds.has(e.member)) this.book.delete(e.member)
  }

  /** Where to send to `id`, if known. */
  lookup(id: string): PeerAddress | undefined {
    const known = this.book.get(id)
    if (known) return known
    const learned = parseAddr(id, this.member(id)?.tags.addr)
    if (learned) this.book.set(id, learned)
    return learned
  }
}
