package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/kdurand/envdiff/internal/dotenv"
	flag "github.com/spf13/pflag"
)

func main() {
	keysOnly := flag.Bool("keys-only", false, "compare variable names only")
	format := flag.String("format", "text", "output format: text or json")
	var ignore []string
	flag.StringArrayVar(&ignore, "ignore", nil, "ignore variables matching a glob")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: envdiff [flags] FILE_A FILE_B")
		os.Exit(2)
	}
	a, err := dotenv.ParseFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "envdiff:", err)
		os.Exit(2)
	}
	b, err := dotenv.ParseFile(flag.Arg(1))
	if err != nil {
		fmt.Fprintln(os.Stderr, "envdiff:", err)
		os.Exit(2)
	}
	diffs := dotenv.Diff(a, b, dotenv.Options{KeysOnly: *keysOnly, Ignore: ignore})
	if *format == "json" {
		json.NewEncoder(os.Stdout).Encode(diffs)
	} else {
		for _, d := range diffs {
			fmt.Println(d.String(flag.Arg(0), flag.Arg(1)))
		}
		fmt.Printf("%d differences\n", len(diffs))
	}
	if len(diffs) > 0 {
		os.Exit(1)
	}
}
