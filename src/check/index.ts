/**
 * `dtk check`'s library: a linearizability checker for recorded histories (register,
 * cas-register, kv, set), sans-IO except `files.ts`, which reads a history from disk.
 */
export {checkHistory, HistoryCheck, guessModel, modelSpec, compileProblem, type CheckResult, type PartitionResult, type Step, type Verdict} from './check.js'
export {type Failure, type FrontierState} from './explain.js'
export {detectFormat, parseHistory, FORMATS, type Format} from './formats.js'
export {HistoryError, pairOperations, effectiveOutcome, linesOf, type History, type HistoryEvent, type Op, type Outcome} from './history.js'
export {MODEL_NAMES, roleOf, type ModelName, type ModelSpec, type Role, type CompiledModel} from './model.js'
export {Search, type Problem, type SearchStatus} from './search.js'
export {show, canonical, toJson, type Value} from './values.js'
