// The record preprocessors live in the library (src/data/preprocess/records.ts); the CLI takes them from the
// public API. Kept so CLI modules import them by one short path.
import * as ts from '../index.ts';

export const { TabularPreprocessor, ImagePreprocessor, TextPreprocessor, preprocessorFromJSON } = ts.data;
export type TabularPreprocessor = ts.data.TabularPreprocessor;
export type ImagePreprocessor = ts.data.ImagePreprocessor;
export type TextPreprocessor = ts.data.TextPreprocessor;
export type Preprocessor = ts.data.Preprocessor;
export type PreprocessJSON = ts.data.PreprocessJSON;
export type PredictRecord = ts.data.PredictRecord;
