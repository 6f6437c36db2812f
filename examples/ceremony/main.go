// Command ceremony runs a Groth16 multi-party setup for one zkcred circuit
// shape: several contributors add randomness to phase 1 (powers of τ) and
// phase 2 (the circuit's δ), each contribution is written to a transcript
// directory, the whole transcript is verified from the files, sealed with a
// public beacon, and the resulting keys are written to an output directory
// (loadable with zkp.LoadKeys).
//
// In a real ceremony each contributor runs on its own machine and the
// files travel between them; this program plays all contributors in turn
// to show and test the flow.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/consensys/gnark/logger"

	"github.com/zkcred/zkcred/zkp"
)

const usage = `usage: ceremony [-shape reference|default|tiny] [-contributors N] [-beacon TEXT] -transcript DIR -out DIR

Runs a Groth16 multi-party setup for a zkcred circuit shape and writes the keys.

example:
  ceremony -shape reference -contributors 3 -beacon "drand round 123456" -transcript ./transcript -out ./keys
`

func main() {
	logger.Disable() // gnark's compile logs
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ceremony: error:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ceremony", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	shapeName := fs.String("shape", "reference", "circuit shape: reference, default, or tiny (for tests)")
	n := fs.Int("contributors", 3, "number of contributors per phase")
	beacon := fs.String("beacon", "", "public random beacon value to seal each phase (required)")
	transcript := fs.String("transcript", "", "directory for the contribution files (required)")
	out := fs.String("out", "", "directory for the keys (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *transcript == "" || *out == "" || *beacon == "" || *n < 1 || fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("missing or bad arguments")
	}
	var shape zkp.Shape
	switch *shapeName {
	case "reference":
		shape = zkp.ReferenceShape()
	case "default":
		shape = zkp.DefaultShape()
	case "tiny":
		// For tests: the smallest useful circuit (one date slot, one
		// predicate, revocation depth 4), about half the reference's work.
		shape = tinyShape
	default:
		return fmt.Errorf("unknown shape %q", *shapeName)
	}
	if err := os.MkdirAll(*transcript, 0o755); err != nil {
		return err
	}
	c, err := zkp.NewCeremony(shape)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "shape %s, domain size %d, %d contributors\n", shape, c.DomainSize(), *n)

	// Phase 1: each contributor reads the previous file and writes its own.
	cur, err := c.InitialPhase1()
	if err != nil {
		return err
	}
	for i := 1; i <= *n; i++ {
		if cur, err = c.ContributePhase1(cur); err != nil {
			return err
		}
		if err := os.WriteFile(phaseFile(*transcript, 1, i), cur, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "phase 1: contribution %d written\n", i)
	}
	// Anyone can verify phase 1 from the files alone.
	p1, err := readAll(*transcript, 1, *n)
	if err != nil {
		return err
	}
	commons, err := c.VerifyPhase1([]byte(*beacon+"/phase1"), p1...)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*transcript, "phase1-sealed.bin"), commons, 0o644); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "phase 1: transcript verified and sealed")

	if cur, err = c.InitialPhase2(commons); err != nil {
		return err
	}
	for i := 1; i <= *n; i++ {
		if cur, err = c.ContributePhase2(cur); err != nil {
			return err
		}
		if err := os.WriteFile(phaseFile(*transcript, 2, i), cur, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "phase 2: contribution %d written\n", i)
	}
	p2, err := readAll(*transcript, 2, *n)
	if err != nil {
		return err
	}
	keys, err := c.Finish(commons, []byte(*beacon+"/phase2"), p2...)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "phase 2: transcript verified and sealed")
	if err := keys.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "keys written to %s, fingerprint %s\n", *out, keys.VerifyingKey.Fingerprint())
	return nil
}

// tinyShape is the "-shape tiny" circuit, for tests and quick trials.
var tinyShape = zkp.Shape{Slots: 2, Predicates: 1, RevocationDepth: 4}

func phaseFile(dir string, phase, i int) string {
	return filepath.Join(dir, fmt.Sprintf("phase%d-%03d.bin", phase, i))
}

func readAll(dir string, phase, n int) ([][]byte, error) {
	out := make([][]byte, n)
	for i := range out {
		b, err := os.ReadFile(phaseFile(dir, phase, i+1))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
