/** The Covertype data set in memory, whichever file format it came from. */
export interface CovertypeData {
  /** Row-major features: row `r`, column `c` is `features[r * nFeatures + c]`. */
  readonly features: Float32Array;
  /** Cover_Type of each row, 1..7. */
  readonly labels: Int32Array;
  readonly nRows: number;
  /** Always 54: 10 quantitative columns, 4 wilderness areas, 40 soil types (both one-hot). */
  readonly nFeatures: number;
  /** One name per feature column, in column order. */
  readonly featureNames: readonly string[];
}

/** Columns of features in every Covertype file. */
export const N_FEATURES = 54;

/** Cover_Type runs from 1 (Spruce/Fir) to 7 (Krummholz). */
export const N_CLASSES = 7;

/**
 * Names of the 54 feature columns, as the Kaggle `train.csv` header spells them (the UCI
 * file has no header; its `covtype.info` gives the same columns in the same order).
 */
export const FEATURE_NAMES: readonly string[] = Object.freeze([
  'Elevation',
  'Aspect',
  'Slope',
  'Horizontal_Distance_To_Hydrology',
  'Vertical_Distance_To_Hydrology',
  'Horizontal_Distance_To_Roadways',
  'Hillshade_9am',
  'Hillshade_Noon',
  'Hillshade_3pm',
  'Horizontal_Distance_To_Fire_Points',
  ...Array.from({ length: 4 }, (_, i) => `Wilderness_Area${i + 1}`),
  ...Array.from({ length: 40 }, (_, i) => `Soil_Type${i + 1}`),
]);

/** Name of the label column in a file with a header. */
export const LABEL_NAME = 'Cover_Type';

/** Name of the row-number column that Kaggle puts first. */
export const ID_NAME = 'Id';
