/**
 * @de2/tune: hyperparameter search on de2, modelled on Ray Tune.
 * @packageDocumentation
 */
export { grid, gridVariants, type GridSearch } from './search-space.js';
