/** Presentation helpers shared by the commands: tables, colour, spinners, durations. */
export {renderTable, type Column} from './table.js'
export {paint, colorEnabled} from './style.js'
export {startProgress, canPrompt, type Progress} from './progress.js'
export {parseDuration, formatDuration} from './duration.js'
export {DtkCommand, clusterFlags, clusterRef} from './base.js'
export {formatNumber} from './format.js'
