// Command demo runs the whole zkcred story in one process: an agency
// publishes a did:web DID document and issues a citizen a residence
// credential; a shop, a municipal portal and a ballot box ask for
// zero-knowledge proofs about it; forged presentations are refused; the
// agency revokes the credential and the next proof is refused.
//
// Each step prints what was proven, what the verifier learned and how long
// it took. The proving keys come from a development-only single-party
// setup (zkp.UnsafeSetup), cached under the user cache directory so that
// later runs start fast. The command exits 1 if any step does not behave
// as described.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/consensys/gnark/logger"

	"github.com/zkcred/zkcred/zkp"
)

const usage = `usage: demo [-backend groth16|plonk] [-cache DIR | -no-cache]

Runs the zkcred story in one process: issue a credential, prove age,
residence and a one-per-person vote in zero knowledge, refuse forgeries
and a revoked credential.

Keys are set up with zkp.UnsafeSetup (development only) and cached in
DIR (default: the user cache directory + /zkcred/keys).

example:
  go run ./examples/demo
  go run ./examples/demo -backend plonk
`

func main() {
	err := mainErr(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo: error:", err)
		os.Exit(1)
	}
}

func mainErr(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	backend := fs.String("backend", string(zkp.Groth16), "proof system: groth16 or plonk")
	cache := fs.String("cache", "", "key cache directory (default: user cache dir + /zkcred/keys)")
	noCache := fs.Bool("no-cache", false, "set up keys in memory, without reading or writing the cache")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o := options{Backend: zkp.Backend(*backend), Shape: zkp.DefaultShape(), Live: isTerminal(stdout)}
	if o.Backend != zkp.Groth16 && o.Backend != zkp.PLONK {
		fs.Usage()
		return fmt.Errorf("unknown backend %q", *backend)
	}
	switch {
	case *noCache && *cache != "":
		return fmt.Errorf("-cache and -no-cache are exclusive")
	case *noCache:
	case *cache != "":
		o.CacheDir = *cache
	default:
		dir, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("no user cache directory (%v): pass -cache DIR or -no-cache", err)
		}
		o.CacheDir = filepath.Join(dir, "zkcred", "keys")
	}
	logger.Disable() // gnark logs every compilation
	_, err := run(ctx, stdout, o)
	return err
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
