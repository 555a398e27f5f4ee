/** `dtk tour`: the guided run through what dtk does, on a real cluster. */
export {tourSteps, type TourStep, type TourContext, type StepResult} from './steps.js'
