"""Writes datasets/iris.csv, wine.csv and digits.csv from the copies scikit-learn ships
(sklearn/datasets/data), with a header and the label as the last column.

iris: species as class names (strings); wine: cultivar as integers 0-2; digits: digit as integers 0-9.
Run with /usr/bin/python3 (Debian's python3-sklearn); the outputs are committed, so CI needs no Python.
"""
import csv
import gzip
import os

import sklearn

DATA = os.path.join(os.path.dirname(sklearn.__file__), 'datasets', 'data')
OUT = os.path.join(os.path.dirname(__file__), '..', 'datasets')


def read_sklearn_csv(name):
    opener = gzip.open if name.endswith('.gz') else open
    with opener(os.path.join(DATA, name), 'rt') as f:
        return list(csv.reader(f))


def write(name, header, rows):
    with open(os.path.join(OUT, name), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(header)
        w.writerows(rows)


def main():
    rows = read_sklearn_csv('iris.csv')
    names = rows[0][2:]
    write(
        'iris.csv',
        ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'],
        [r[:4] + [names[int(r[4])]] for r in rows[1:]],
    )
    rows = read_sklearn_csv('wine_data.csv')
    wine_features = [
        'alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', 'magnesium', 'total_phenols', 'flavanoids',
        'nonflavanoid_phenols', 'proanthocyanins', 'color_intensity', 'hue', 'od280_od315', 'proline',
    ]
    write('wine.csv', wine_features + ['cultivar'], [r[:13] + [str(int(r[13]))] for r in rows[1:]])
    # digits.csv.gz has no header row: 64 pixel counts (0-16) and the digit.
    rows = read_sklearn_csv('digits.csv.gz')
    pixels = [f'p{i // 8}_{i % 8}' for i in range(64)]
    write('digits.csv', pixels + ['digit'], [[str(int(float(v))) for v in r] for r in rows])


if __name__ == '__main__':
    main()
