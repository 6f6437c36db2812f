// Command ceremony runs a Groth16 multi-party setup for one zkcred circuit
// shape: several contributors add randomness to phase 1 (powers of τ) and
// phase 2 (the circuit's δ), each contribution is written to a transcript
// directory, the whole transcript is verified from the files, sealed with a
// public beacon, and the resulting keys are written to an output directory
// (loadable with zkp.LoadKeys).
//
// With -ptau FILE, phase 1 is not run: it is replaced by a public Powers of
// Tau ceremony's result, a snarkjs .ptau file (for production, the
// Perpetual Powers of Tau's powersOfTau28_hez_final_XX.ptau with XX at
// least the circuit's log₂ domain size, its BLAKE2b-512 pinned with
// -ptau-b2sum), and the agency runs only phase 2.
//
// In a real ceremony each contributor runs on its own machine and the
// files travel between them; this program plays all contributors in turn
// to show and test the flow.
package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"strings"

	"github.com/consensys/gnark/logger"

	"github.com/zkcred/zkcred/zkp"
)

const usage = `usage: ceremony [-shape default|reference|tiny|JSON] [-contributors N] [-ptau FILE [-ptau-b2sum HEX]] [-force] -beacon TEXT -transcript DIR -out DIR

Runs a Groth16 multi-party setup for a zkcred circuit shape and writes the keys.
The default shape is zkp.DefaultShape(), the one the issuer (-slots 16
-revocation-depth 24), the verifier, the holder and the demo use: keys of
another shape do not fit their credentials.
With -ptau, phase 1 comes from a public Powers of Tau file (snarkjs .ptau) and
only phase 2 is run; -ptau-b2sum pins the file's BLAKE2b-512 (as b2sum prints it).
An -out directory that holds files, or a -transcript directory that holds
contributions, is not overwritten unless -force.

examples:
  ceremony -contributors 3 -beacon "drand round 123456" -transcript ./transcript -out ./keys
  ceremony -shape reference -ptau powersOfTau28_hez_final_14.ptau -ptau-b2sum eeefbcf7… -beacon "drand round 123456" -transcript ./transcript -out ./keys
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
	shapeName := fs.String("shape", defaultShape, "circuit shape: default (what the other programs use), reference, tiny (for tests) or shape JSON")
	n := fs.Int("contributors", 3, "number of contributors per phase")
	beacon := fs.String("beacon", "", "public random beacon value to seal each phase (required)")
	transcript := fs.String("transcript", "", "directory for the contribution files (required)")
	out := fs.String("out", "", "directory for the keys (required)")
	ptauFile := fs.String("ptau", "", "snarkjs .ptau file to take phase 1 from (phase 1 is then not run)")
	ptauB2 := fs.String("ptau-b2sum", "", "BLAKE2b-512 the -ptau file must have, in hex")
	force := fs.Bool("force", false, "overwrite the keys in -out and the contributions in -transcript")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var missing []string
	if *beacon == "" {
		missing = append(missing, `-beacon TEXT (a public random value fixed after the contributions, e.g. "drand round 123456")`)
	}
	if *transcript == "" {
		missing = append(missing, "-transcript DIR (where each contribution is written)")
	}
	if *out == "" {
		missing = append(missing, "-out DIR (where the keys go)")
	}
	switch {
	case len(missing) > 0:
		fs.Usage()
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	case *n < 1:
		return fmt.Errorf("-contributors %d: want at least 1", *n)
	case fs.NArg() != 0:
		return fmt.Errorf("unexpected argument %q (every setting is a flag)", fs.Arg(0))
	case *ptauB2 != "" && *ptauFile == "":
		return fmt.Errorf("-ptau-b2sum pins a -ptau file: give -ptau FILE too")
	}
	var shape zkp.Shape
	if *shapeName == "tiny" {
		// For tests: the smallest useful circuit (one date slot, one
		// predicate, revocation depth 4), about half the reference's work.
		shape = tinyShape
	} else {
		var err error
		if shape, err = zkp.ParseShape(*shapeName); err != nil {
			return fmt.Errorf("-shape %.100q: want default, reference, tiny or shape JSON: %w", *shapeName, err)
		}
	}
	if !*force {
		if err := refuseOverwrite(*out, *transcript); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(*transcript, 0o755); err != nil {
		return err
	}
	c, err := zkp.NewCeremony(shape)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "shape %s, domain size %d, %d contributors\n", shape, c.DomainSize(), *n)

	var commons []byte
	if *ptauFile != "" {
		commons, err = phase1FromPtau(c, *ptauFile, *ptauB2, *transcript, stdout)
	} else {
		commons, err = runPhase1(c, *n, *beacon, *transcript, stdout)
	}
	if err != nil {
		return err
	}

	var cur []byte
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

// refuseOverwrite returns an error if out holds any file or transcript
// holds contributions: a ceremony must not silently replace keys that
// holders and verifiers may already use.
func refuseOverwrite(out, transcript string) error {
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return fmt.Errorf("-out %s already holds files (keys of an earlier ceremony?): give a new directory, or add -force to overwrite them", out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	old, err := filepath.Glob(filepath.Join(transcript, "phase*.bin"))
	if err != nil {
		return err
	}
	if len(old) > 0 {
		return fmt.Errorf("-transcript %s already holds contributions (%s...): give a new directory, or add -force to overwrite them", transcript, filepath.Base(old[0]))
	}
	return nil
}

// defaultShape is -shape's default: zkp.DefaultShape(), the shape of the
// keys the issuer, verifier, holder and demo use.
const defaultShape = "default"

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

// runPhase1 runs phase 1 with n contributors and returns the sealed result.
func runPhase1(c *zkp.Ceremony, n int, beacon, transcript string, stdout io.Writer) ([]byte, error) {
	// Phase 1: each contributor reads the previous file and writes its own.
	cur, err := c.InitialPhase1()
	if err != nil {
		return nil, err
	}
	for i := 1; i <= n; i++ {
		if cur, err = c.ContributePhase1(cur); err != nil {
			return nil, err
		}
		if err := os.WriteFile(phaseFile(transcript, 1, i), cur, 0o644); err != nil {
			return nil, err
		}
		fmt.Fprintf(stdout, "phase 1: contribution %d written\n", i)
	}
	// Anyone can verify phase 1 from the files alone.
	p1, err := readAll(transcript, 1, n)
	if err != nil {
		return nil, err
	}
	commons, err := c.VerifyPhase1([]byte(beacon+"/phase1"), p1...)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(transcript, "phase1-sealed.bin"), commons, 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintln(stdout, "phase 1: transcript verified and sealed")
	return commons, nil
}

// phase1FromPtau reads a public Powers of Tau file, checks it (and its
// pinned hash), and returns the phase-1 result for the circuit's domain.
// Only the powers the domain needs are decoded.
func phase1FromPtau(c *zkp.Ceremony, file, b2sum, transcript string, stdout io.Writer) ([]byte, error) {
	opts := &zkp.PtauOptions{Power: bits.Len64(c.DomainSize()) - 1}
	if b2sum != "" {
		pin, err := hex.DecodeString(b2sum)
		if err != nil {
			return nil, fmt.Errorf("-ptau-b2sum: %v", err)
		}
		opts.BLAKE2b = pin
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := zkp.ReadPtau(f, opts)
	if err != nil {
		return nil, err
	}
	h := p.Hash()
	power, _ := p.FilePower()
	fmt.Fprintf(stdout, "phase 1: from %s: power %d, %d contributions, blake2b %x\n", filepath.Base(file), power, p.Contributions(), h)
	if b2sum == "" {
		fmt.Fprintln(stdout, "phase 1: warning: no -ptau-b2sum: compare the hash above with the published one")
	}
	commons, err := c.Phase1FromPtau(p)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(transcript, "phase1-sealed.bin"), commons, 0o644); err != nil {
		return nil, err
	}
	return commons, nil
}
