package dotenv

import (
	"fmt"
	"path/filepath"
	"sort"
)

type Options struct {
	KeysOnly bool
	Ignore   []string
}

type Difference struct {
	Key  string `json:"key"`
	Kind string `json:"kind"` // "added", "removed", "changed"
	A    string `json:"a,omitempty"`
	B    string `json:"b,omitempty"`
}

func (d Difference) String(fa, fb string) string {
	switch d.Kind {
	case "added":
		return fmt.Sprintf("+ %-18s only in %s", d.Key, fa)
	case "removed":
		return fmt.Sprintf("- %-18s only in %s", d.Key, fb)
	}
	return fmt.Sprintf("~ %-18s %s → %s", d.Key, d.A, d.B)
}

func ignored(k string, globs []string) bool {
	for _, g := range globs {
		if ok, _ := filepath.Match(g, k); ok {
			return true
		}
	}
	return false
}

// Diff lists the keys that differ between a and b, sorted by key.
func Diff(a, b map[string]string, o Options) []Difference {
	var out []Difference
	for k, va := range a {
		if ignored(k, o.Ignore) {
			continue
		}
		vb, ok := b[k]
		switch {
		case !ok:
			out = append(out, Difference{Key: k, Kind: "added"})
		case !o.KeysOnly && va != vb:
			out = append(out, Difference{Key: k, Kind: "changed", A: va, B: vb})
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && !ignored(k, o.Ignore) {
			out = append(out, Difference{Key: k, Kind: "removed"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
