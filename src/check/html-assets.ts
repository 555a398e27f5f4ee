/**
 * The report page's inline style and script: no fonts, images or scripts from anywhere else, so
 * the file opens offline and can be mailed or attached to an issue as is.
 */
export const CSS = `
:root{--ink:#1d2433;--mute:#5b6475;--line:#d9dee8;--bg:#f6f7fa;--ok:#2f6fdb;--okf:#dce8fb;--fail:#7d8594;--failf:#eceef2;
--unk:#c77700;--unkf:#fff1d6;--bad:#c62828;--badf:#fde3e3;--win:#f4a62a;--good:#2e7d32;--lin:#7b1fa2}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:20px;margin:0 0 4px;word-break:break-all}
h2{font-size:16px;margin:0 0 8px}
article{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 20px;margin:0 0 20px}
.meta{color:var(--mute);margin:0 0 12px}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:13px;vertical-align:2px;margin-left:8px}
.v-linearizable{background:#e3f3e5;color:var(--good)}.v-not{background:var(--badf);color:var(--bad)}.v-unknown{background:var(--unkf);color:var(--unk)}
.explain{border-left:4px solid var(--bad);background:#fff7f7;padding:10px 14px;margin:8px 0 14px;border-radius:0 6px 6px 0}
.explain p{margin:4px 0}
.timeline{display:flex;border:1px solid var(--line);border-radius:6px;background:#fff}
.timeline .labels{flex:none;border-right:1px solid var(--line)}
.scroll{overflow-x:auto;flex:1}
svg text{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:var(--ink)}
svg .plabel{font-weight:600;fill:var(--mute)}
svg .op rect{stroke-width:1.2;rx:4}
svg .op.ok rect{fill:var(--okf);stroke:var(--ok)}
svg .op.fail rect{fill:var(--failf);stroke:var(--fail)}
svg .op.unknown rect{fill:url(#fade);stroke:var(--unk);stroke-dasharray:4 3}
svg .op.dropped rect{fill:#fafafa;stroke:#c3c8d1;stroke-dasharray:2 3}
svg .op.dropped text{fill:#9aa1ad}
svg .op.window rect{stroke:var(--win);stroke-width:2.5}
svg .op.blocked rect{fill:var(--badf);stroke:var(--bad);stroke-width:2.5}
svg .op.hl rect,svg .op:hover rect{stroke:#000;stroke-width:2.5}
svg .band{fill:var(--win);opacity:.12}
svg .path{fill:none;stroke:var(--lin);stroke-width:1.5;opacity:.55}
svg .dot{fill:var(--lin);stroke:#fff;stroke-width:1.5}
svg .dot.hl{r:6}
svg .seg{stroke:#fff;stroke-width:1}
svg .seg0{fill:#ede7f6}svg .seg1{fill:#e1d5f0}
svg .statelbl{font-weight:600;fill:var(--lin)}
svg .frontier{fill:var(--badf);stroke:var(--bad)}
svg .grid{stroke:#eef0f4}
svg .axis{fill:var(--mute)}
.legend{display:flex;flex-wrap:wrap;gap:14px;color:var(--mute);font-size:12px;margin:8px 0 14px}
.legend i{display:inline-block;width:22px;height:12px;border-radius:3px;vertical-align:-1px;margin-right:5px;border:1.5px solid}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
th{color:var(--mute);font-weight:600;position:sticky;top:0;background:#fff}
td.state{font-family:ui-monospace,Menlo,Consolas,monospace;color:var(--lin);font-weight:600}
tr.hl td{background:#f3ecfa}
tr.blocked td{background:var(--badf);color:var(--bad);font-weight:600}
tr[data-op]{cursor:pointer}
.tablewrap{max-height:420px;overflow:auto;border:1px solid var(--line);border-radius:6px;margin-top:6px}
details>summary{cursor:pointer;color:var(--mute);margin:6px 0}
.note{color:var(--mute);font-size:12px}
nav ul{margin:6px 0 0;padding-left:18px}
`

/** Hovering an operation (bar, dot or row) highlights it everywhere; clicking a row scrolls to its bar. */
export const SCRIPT = `
(function(){
  function all(scope,op){return scope.querySelectorAll('[data-op="'+op+'"]')}
  document.querySelectorAll('section[data-part]').forEach(function(sec){
    var blocked=sec.querySelector('g.op.blocked'),box=sec.querySelector('.scroll')
    if(blocked&&box){var r=blocked.getBBox();box.scrollLeft=Math.max(0,r.x+r.width-box.clientWidth*0.7)}
    function set(op,on){all(sec,op).forEach(function(el){el.classList.toggle('hl',on)})}
    sec.addEventListener('mouseover',function(e){var t=e.target.closest('[data-op]');if(t)set(t.getAttribute('data-op'),true)})
    sec.addEventListener('mouseout',function(e){var t=e.target.closest('[data-op]');if(t)set(t.getAttribute('data-op'),false)})
    sec.addEventListener('click',function(e){var t=e.target.closest('tr[data-op]');if(!t)return;
      var bar=sec.querySelector('g.op[data-op="'+t.getAttribute('data-op')+'"]');if(bar)bar.scrollIntoView({block:'nearest',inline:'center',behavior:'smooth'})})
  })
})()
`
