import os
import tempfile
import unittest
from kvlite import KV


class KVTest(unittest.TestCase):
    def setUp(self):
        fd, self.path = tempfile.mkstemp(suffix=".db")
        os.close(fd)
        self.db = KV(self.path)

    def tearDown(self):
        self.db.close()
        os.remove(self.path)

    def test_roundtrip(self):
        self.db["a"] = {"x": [1, 2]}
        self.assertEqual(self.db["a"], {"x": [1, 2]})

    def test_missing(self):
        self.assertRaises(KeyError, lambda: self.db["nope"])

    def test_len_and_iter(self):
        self.db["a"] = 1
        self.db["b"] = 2
        self.assertEqual(sorted(self.db), ["a", "b"])
        self.assertEqual(len(self.db), 2)

    def test_transaction_rolls_back(self):
        try:
            with self.db.transaction():
                self.db["a"] = 1
                raise RuntimeError
        except RuntimeError:
            pass
        self.assertNotIn("a", self.db)


if __name__ == "__main__":
    unittest.main()
