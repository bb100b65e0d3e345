import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readCsv } from '../../src/data/csv.ts';
import { ColumnPipeline } from '../../src/data/preprocess/column-pipeline.ts';
import { LabelEncoder, OneHotEncoder, OrdinalEncoder } from '../../src/data/preprocess/encoders.ts';
import { SimpleImputer } from '../../src/data/preprocess/imputer.ts';
import { type Matrix, matrixToArray } from '../../src/data/preprocess/matrix.ts';
import { MinMaxScaler, StandardScaler } from '../../src/data/preprocess/scalers.ts';
import { makeTable, stringColumn, type Table } from '../../src/data/table.ts';

type Num = number | null;
const fx = (name: string) => JSON.parse(readFileSync(`test/fixtures/data/${name}.json`, 'utf8'));
// Fixtures hold NaN as null.
const nan = (rows: Num[][]): number[][] => rows.map((r) => r.map((v) => (v === null ? Number.NaN : v)));

/** Elementwise |a - b| <= atol + rtol * |b|, NaN only where NaN is expected. */
function close(
  actual: ArrayLike<number> | number[][],
  expected: ArrayLike<Num> | Num[][],
  rtol: number,
  atol: number,
  what: string,
) {
  const a =
    Array.isArray(actual) && Array.isArray(actual[0])
      ? (actual as number[][]).flat()
      : Array.from(actual as ArrayLike<number>);
  const e =
    Array.isArray(expected) && Array.isArray(expected[0])
      ? (expected as Num[][]).flat()
      : Array.from(expected as ArrayLike<Num>);
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i];
    if (y === null || Number.isNaN(y as number)) {
      assert.ok(Number.isNaN(x), `${what}[${i}]: expected NaN, got ${x}`);
      continue;
    }
    assert.ok(Math.abs(x - y!) <= atol + rtol * Math.abs(y!), `${what}[${i}]: ${x} vs ${y}`);
  }
}

const diabetes = await readCsv('datasets/diabetes.csv');
function diabetesRows(from: number, to: number): Matrix {
  const cols = diabetes.columns.slice(0, 10);
  const rows = to - from;
  const data = new Float64Array(rows * 10);
  cols.forEach((c, j) => {
    const col = diabetes.data[c] as Float64Array;
    for (let i = 0; i < rows; i++) data[i * 10 + j] = col[from + i]!;
  });
  return { rows, cols: 10, data };
}

test('StandardScaler matches sklearn (fit on train rows, transform test rows)', () => {
  const f = fx('scalers');
  const train = diabetesRows(0, f.train_rows);
  const testRows = diabetesRows(f.train_rows, 442);
  const s = new StandardScaler().fit(train);
  close(s.mean!, f.standard.mean, 1e-12, 0, 'mean');
  close(s.scale!, f.standard.scale, 1e-12, 0, 'scale');
  close(s.variance!, f.standard.var, 1e-12, 0, 'var');
  close(matrixToArray(s.transform(testRows)), f.standard.test_out, 1e-10, 1e-12, 'transform');
  const back = s.inverseTransform(s.transform(testRows));
  close(back.data, testRows.data, 1e-12, 1e-12, 'inverse');
  const restored = StandardScaler.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
  assert.deepEqual(restored.transform(testRows), s.transform(testRows));
  // NaN ignored when fitting, kept when transforming.
  const withNan = diabetesRows(0, f.train_rows);
  for (let i = 0; i < withNan.rows; i += 7) withNan.data[i * 10 + 2] = Number.NaN;
  const sn = new StandardScaler().fit(withNan);
  close(sn.mean!, f.standard_nan.mean, 1e-12, 0, 'nan mean');
  close(sn.scale!, f.standard_nan.scale, 1e-12, 0, 'nan scale');
  close(matrixToArray(sn.transform(withNan)), f.standard_nan.train_out, 1e-10, 1e-12, 'nan transform');
});

test('MinMaxScaler matches sklearn, with range and clip', () => {
  const f = fx('scalers');
  const train = diabetesRows(0, f.train_rows);
  const testRows = diabetesRows(f.train_rows, 442);
  const m = new MinMaxScaler({ featureRange: [-1, 1] }).fit(train);
  close(m.dataMin!, f.minmax.data_min, 0, 0, 'data_min');
  close(m.dataMax!, f.minmax.data_max, 0, 0, 'data_max');
  close(m.scale!, f.minmax.scale, 1e-14, 0, 'scale');
  close(m.min!, f.minmax.min, 1e-13, 1e-15, 'min');
  close(matrixToArray(m.transform(testRows)), f.minmax.test_out, 1e-12, 1e-13, 'transform');
  const clipped = new MinMaxScaler({ clip: true }).fit(train);
  close(matrixToArray(clipped.transform(testRows)), f.minmax_clip_test_out, 1e-12, 1e-13, 'clip');
  const r = MinMaxScaler.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
  assert.deepEqual(r.transform(testRows), m.transform(testRows));
  close(m.inverseTransform(m.transform(testRows)).data, testRows.data, 1e-12, 1e-12, 'inverse');
  assert.throws(() => new MinMaxScaler().transform([[1]]), /\[MinMaxScaler\.transform\] not fitted/);
  assert.throws(() => m.transform([[1, 2]]), /fitted on 10 features, got 2/);
});

test('SimpleImputer matches sklearn for every strategy, numeric and categorical', () => {
  const f = fx('imputers');
  for (const strategy of ['mean', 'median', 'most_frequent', 'constant'] as const) {
    const imp = new SimpleImputer(strategy === 'constant' ? { strategy, fillValue: -1 } : { strategy });
    imp.fit(nan(f.train));
    close(imp.statistics as number[], f.numeric[strategy].statistics, 1e-12, 0, `${strategy} statistics`);
    close(
      matrixToArray(imp.transform(nan(f.test))),
      f.numeric[strategy].test_out,
      1e-12,
      0,
      `${strategy} out`,
    );
    const r = SimpleImputer.fromJSON(JSON.parse(JSON.stringify(imp.toJSON())));
    // close, not deepEqual: JSON turns a -0 statistic into 0.
    close(r.transform(nan(f.test)).data, imp.transform(nan(f.test)).data, 0, 0, `${strategy} restored`);
  }
  for (const strategy of ['most_frequent', 'constant'] as const) {
    const imp = new SimpleImputer({ strategy }).fit(f.cat_train);
    assert.deepEqual(imp.statistics, f.categorical[strategy].statistics);
    assert.deepEqual(imp.transform(f.cat_test), f.categorical[strategy].test_out);
  }
  assert.throws(
    () =>
      new SimpleImputer().fit([
        [1, Number.NaN],
        [2, Number.NaN],
      ]),
    /column 1 has no observed values/,
  );
  assert.throws(
    () => new SimpleImputer({ strategy: 'mean' }).fit([['a'], ['b']]),
    /category columns take most_frequent/,
  );
});

test('OneHotEncoder, OrdinalEncoder and LabelEncoder match sklearn', async () => {
  const f = fx('encoders');
  const ohe = new OneHotEncoder({ handleUnknown: 'ignore' }).fit(f.train);
  assert.deepEqual(ohe.categories, f.onehot.categories);
  assert.deepEqual(ohe.featureNames(['city', 'grade']), f.onehot.feature_names);
  assert.deepEqual(matrixToArray(ohe.transform(f.train)), f.onehot.train_out);
  assert.deepEqual(matrixToArray(ohe.transform(f.test)), f.onehot.test_out);
  assert.deepEqual(
    OneHotEncoder.fromJSON(JSON.parse(JSON.stringify(ohe.toJSON()))).transform(f.test),
    ohe.transform(f.test),
  );
  const strict = new OneHotEncoder().fit(f.train);
  assert.throws(
    () => strict.transform(f.test),
    /\[OneHotEncoder\.transform\] row 1, column 0: unknown category "berlin"/,
  );

  const ord = new OrdinalEncoder({ handleUnknown: 'useEncodedValue', unknownValue: -1 }).fit(f.train);
  assert.deepEqual(ord.categories, f.ordinal.categories);
  assert.deepEqual(matrixToArray(ord.transform(f.train)), f.ordinal.train_out);
  assert.deepEqual(matrixToArray(ord.transform(f.test)), f.ordinal.test_out);
  assert.throws(() => new OrdinalEncoder().fit(f.train).transform(f.test), /unknown category "berlin"/);
  assert.deepEqual(
    OrdinalEncoder.fromJSON(JSON.parse(JSON.stringify(ord.toJSON()))).transform(f.test),
    ord.transform(f.test),
  );

  const bc = await readCsv('datasets/breast_cancer.csv');
  const y = stringColumn(bc, 'diagnosis') as string[];
  const le = new LabelEncoder().fit(y);
  assert.deepEqual(le.classes, f.label.classes);
  assert.deepEqual(Array.from(le.transform(y.slice(0, 10))), f.label.first10);
  assert.deepEqual(le.inverseTransform([1, 0]), ['malignant', 'benign']);
  const ln = new LabelEncoder().fit([10, 2, 2, 33, -1]);
  assert.deepEqual(ln.classes, f.label_numeric.classes);
  assert.deepEqual(Array.from(ln.transform([33, 2, -1])), f.label_numeric.out);
  assert.throws(() => ln.transform([5]), /\[LabelEncoder\.transform\] label 0: unknown class 5/);
  assert.deepEqual(LabelEncoder.fromJSON(JSON.parse(JSON.stringify(ln.toJSON()))).classes, ln.classes);
});

function fixtureTable(columns: string[], rows: (number | string | null)[][]): Table {
  const data: Record<string, Float64Array | (string | null)[]> = {};
  columns.forEach((c, j) => {
    const vals = rows.map((r) => r[j]!);
    const numeric = vals.every((v) => v === null || typeof v === 'number');
    data[c] = numeric
      ? Float64Array.from(vals, (v) => (v === null ? Number.NaN : (v as number)))
      : vals.map((v) => (v === null ? null : String(v)));
  });
  return makeTable(data, { columns });
}

test('ColumnPipeline matches sklearn ColumnTransformer and round-trips through JSON', () => {
  const f = fx('column_pipeline');
  const train = fixtureTable(f.columns, f.train);
  const testT = fixtureTable(f.columns, f.test);
  const p = new ColumnPipeline({ numeric: ['age', 'income'], categorical: ['city', 'plan'], label: 'label' });
  const tr = p.fitTransform(train);
  assert.deepEqual(tr.shape, [7, f.train_out[0].length]);
  assert.ok(tr.x instanceof Float32Array);
  close(tr.x, f.train_out, 1e-6, 1e-6, 'train features');
  const te = p.transform(testT);
  close(te.x, f.test_out, 1e-6, 1e-6, 'test features');
  assert.deepEqual(Array.from(te.y!), [1, 0]); // classes ['no', 'yes']
  assert.deepEqual(p.labelEncoder!.classes, f.label_classes);
  assert.deepEqual(tr.featureNames.slice(0, 3), ['age', 'income', 'city_berlin']);
  const restored = ColumnPipeline.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
  assert.deepEqual(restored.transform(testT), te);
  assert.throws(
    () => new ColumnPipeline({ numeric: ['a'], categorical: ['a'] }),
    /"a" appears in more than one role/,
  );
  assert.throws(
    () => new ColumnPipeline({ numeric: ['city'] }).fit(train),
    /column "city": expected a number column/,
  );
});

test('ColumnPipeline: text columns become bag-of-words counts; numeric labels mean regression', () => {
  const t = makeTable({
    msg: ['Free money, free!', 'meeting at noon', 'free lunch at noon'],
    score: Float64Array.from([1.5, 2, 3]),
  });
  const p = new ColumnPipeline({ text: ['msg'], label: 'score' }, { textMaxFeatures: 3 });
  const out = p.fitTransform(t);
  // Vocabulary by frequency then alphabetically: free(3), at(2), noon(2).
  assert.deepEqual(out.featureNames, ['msg_free', 'msg_at', 'msg_noon']);
  assert.deepEqual(Array.from(out.x), [2, 0, 0, 0, 1, 1, 1, 1, 1]);
  assert.ok(out.y instanceof Float32Array);
  assert.deepEqual(Array.from(out.y!), [1.5, 2, 3]);
});
