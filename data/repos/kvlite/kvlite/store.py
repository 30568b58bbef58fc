import json
import pickle
import sqlite3
from contextlib import contextmanager

try:
    from collections.abc import MutableMapping
except ImportError:  # Python 2
    from collections import MutableMapping

SERIALIZERS = {
    "pickle": (pickle.dumps, pickle.loads),
    "json": (lambda v: json.dumps(v).encode("utf-8"), lambda b: json.loads(b.decode("utf-8"))),
}


class KV(MutableMapping):
    """A persistent mapping of str keys to values in one SQLite table."""

    def __init__(self, path, table="kv", serializer="pickle"):
        self._conn = sqlite3.connect(path)
        self._table = table
        self._dump, self._load = SERIALIZERS[serializer]
        self._conn.execute("CREATE TABLE IF NOT EXISTS %s (k TEXT PRIMARY KEY, v BLOB)" % table)
        self._auto = True

    def __getitem__(self, key):
        row = self._conn.execute("SELECT v FROM %s WHERE k = ?" % self._table, (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return self._load(bytes(row[0]))

    def __setitem__(self, key, value):
        self._conn.execute("REPLACE INTO %s (k, v) VALUES (?, ?)" % self._table,
                           (key, sqlite3.Binary(self._dump(value))))
        if self._auto:
            self._conn.commit()

    def __delitem__(self, key):
        if self._conn.execute("DELETE FROM %s WHERE k = ?" % self._table, (key,)).rowcount == 0:
            raise KeyError(key)
        if self._auto:
            self._conn.commit()

    def __iter__(self):
        for (k,) in self._conn.execute("SELECT k FROM %s" % self._table):
            yield k

    def __len__(self):
        return self._conn.execute("SELECT COUNT(*) FROM %s" % self._table).fetchone()[0]

    @contextmanager
    def transaction(self):
        self._auto = False
        try:
            yield self
            self._conn.commit()
        except Exception:
            self._conn.rollback()
            raise
        finally:
            self._auto = True

    def close(self):
        self._conn.close()
