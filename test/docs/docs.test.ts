import {relative} from 'node:path'
import {describe, expect, it} from 'vitest'
import {root} from '../helpers/cli.js'
import {docPages, runPage} from '../helpers/doctest.js'

/**
 * "Tutorials that cannot rot": every sh block of every page under docs/ runs as a reader would run
 * it, and its output still holds the lines the page shows (docs/contributing-docs.md has the markup).
 * Pages are independent and run two at a time; each has 360 s (the test's timeout also covers the
 * wait for a slot) and tears down what it started, even when a block fails or hangs.
 */
const pages = docPages()
let running = 0
const queue: Array<() => void> = []
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => queue.push(r))
  running++
  try {
    return await fn()
  } finally {
    running--
    queue.shift()?.()
  }
}

describe.concurrent('every page under docs/ runs as shown', () => {
  it('finds the pages', () => {
    expect(pages.map((p) => relative(root, p))).toEqual(expect.arrayContaining(['docs/getting-started.md', 'docs/transport.md', 'docs/simulator.md', 'docs/tutorials/failure-detection.md']))
  })

  for (const page of pages) {
    it(relative(root, page), {timeout: 900_000}, async () => {
      const r = await slot(() => runPage(page))
      if (!r.ok) throw new Error(r.report)
    })
  }
})
