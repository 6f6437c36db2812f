// Command holder is a command-line zkcred wallet: it creates the holder
// secret credentials are bound to, receives credentials from an issuer
// over OpenID for Verifiable Credential Issuance 1.0 (an offer URI and the
// PIN the agency sent on another channel), lists them, and answers a verifier's presentation request with a
// zero-knowledge proof computed on this machine (the issuer never learns
// who presents, the verifier learns only what the request asks).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	gnarklog "github.com/consensys/gnark/logger"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/examples/internal/serve"
)

const usage = `usage: holder <command> [flags]

A zkcred wallet on the command line.

commands:
  init                          create the holder secret in the wallet
  receive -offer URI -pin PIN   receive a credential over OpenID4VCI: URI is the
                                openid-credential-offer:// link (or QR code text)
                                the agency gave you, PIN the code it sent separately
  list                          list the wallet's credentials
  sync                          bring the issuers' revocation logs up to date, on your
                                own schedule: checkpoints checked for the issuer's
                                signature, a quorum of witness cosignatures
                                (-witness VKEY, repeatable; -quorum N; remembered in
                                the wallet) and consistency with the last one (a split
                                view is refused and reported); only missing tiles
                                fetched; each credential's witness computed and kept,
                                so present fetches nothing from the agency
  present -request URI          answer a verifier's request with a proof: URI is
                                an OpenID4VP link (openid4vp://..., or the QR
                                code text) or zkcred's own request URL
                                (http(s)://.../requests/<id>)

Every command takes -wallet DIR. receive and present fetch issuer and
verifier URLs (and resolve did:web) over HTTPS to public addresses only,
following redirects to the same host only; -insecure-local allows plain
HTTP and loopback or private addresses: for local development only.
present needs the circuit keys the verifier uses: -keys DIR (written by
zkp Keys.Save or a ceremony); -unsafe-setup creates development keys there
if none exist (whoever runs it can forge proofs: never in production).
For an OpenID4VP request present prints in plain words what will be
proven, what shown, which transaction data (a ballot choice, a consent
text) the proof commits to and to whom it goes, and proves only after you
answer y (-yes answers for you, for scripts).

examples:
  holder init -wallet ./alice
  holder receive -wallet ./alice -insecure-local -pin 123456 \
    -offer 'openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A8081%2Foffers%2F...'
  holder list -wallet ./alice
  holder present -wallet ./alice -keys ./keys -insecure-local -request 'openid4vp://?client_id=...&request_uri=...'
  holder present -wallet ./alice -keys ./keys -insecure-local -request http://127.0.0.1:8082/requests/<id>
`

func main() {
	gnarklog.Disable() // gnark's per-proof debug lines are noise here
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(1)
	}
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		// Plain text, not a log attribute: a quoted error would escape
		// the quotes of any server message inside it once more.
		fmt.Fprintf(os.Stderr, "holder: error: %v\n", err)
		os.Exit(1)
	}
}

// stdin is where present reads the holder's consent (a variable for tests).
var stdin io.Reader = os.Stdin

// errUsage is returned for bad command lines (after printing usage).
var errUsage = errors.New("bad arguments")

func defaultWallet() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "zkcred", "wallet")
	}
	return "wallet"
}

// command holds the flags all subcommands share.
type command struct {
	fs            *flag.FlagSet
	wallet        string
	insecureLocal bool
	client        *fetch.Client // see httpClient
}

func newCommand(name string, stderr io.Writer) *command {
	c := &command{fs: flag.NewFlagSet("holder "+name, flag.ContinueOnError)}
	c.fs.SetOutput(stderr)
	c.fs.Usage = func() {
		fmt.Fprint(stderr, usage, "\nflags of ", name, ":\n")
		c.fs.PrintDefaults()
	}
	c.fs.StringVar(&c.wallet, "wallet", defaultWallet(), "wallet directory")
	if name == "receive" || name == "present" || name == "sync" {
		c.fs.BoolVar(&c.insecureLocal, "insecure-local", false, "INSECURE, development only: fetch and resolve did:web over http:// and from loopback/private addresses")
	}
	return c
}

func (c *command) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		c.fs.Usage()
		return fmt.Errorf("%w: unexpected %q", errUsage, c.fs.Arg(0))
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name, args := args[0], args[1:]
	c := newCommand(name, stderr)
	switch name {
	case "init":
		if err := c.parse(args); err != nil {
			return err
		}
		return c.init(stdout)
	case "receive":
		offer := c.fs.String("offer", "", "the credential offer: openid-credential-offer://?credential_offer_uri=... or ?credential_offer=... (required)")
		pin := c.fs.String("pin", "", "the transaction code (PIN) the issuer sent on another channel")
		if err := c.parse(args); err != nil {
			return err
		}
		if *offer == "" {
			c.fs.Usage()
			return fmt.Errorf("%w: -offer is required", errUsage)
		}
		if !c.insecureLocal {
			if err := serve.NeedsInsecureLocal("-offer", *offer); err != nil {
				return err
			}
		}
		return c.receive(ctx, *offer, *pin, stdout)
	case "list":
		if err := c.parse(args); err != nil {
			return err
		}
		return c.list(stdout)
	case "sync": // sync.go
		var witnesses []string
		c.fs.Func("witness", "a witness's verifier key (as examples/witness prints it) whose cosignatures count; repeat for several (kept in the wallet)", func(v string) error {
			witnesses = append(witnesses, v)
			return nil
		})
		quorum := c.fs.Int("quorum", -1, "how many of the -witness witnesses must cosign a checkpoint (default: all given; kept in the wallet)")
		if err := c.parse(args); err != nil {
			return err
		}
		return c.sync(ctx, witnesses, *quorum, stdout, stderr)
	case "present":
		p := presentFlags{}
		c.fs.StringVar(&p.requestURL, "request", "", "the verifier's request: an OpenID4VP link openid4vp://... or zkcred's own request URL http(s)://.../requests/<id> (required)")
		c.fs.BoolVar(&p.yes, "yes", false, "consent without asking (OpenID4VP; for scripts and tests)")
		c.fs.StringVar(&p.keys, "keys", "", "circuit key directory shared with the verifier (required)")
		c.fs.BoolVar(&p.unsafeSetup, "unsafe-setup", false, "UNSAFE, development only: create keys in -keys if there are none")
		c.fs.StringVar(&p.credential, "credential", "", "credential id to use (default: the first that fits)")
		c.fs.StringVar(&p.audience, "audience", "", "the verifier the request must be for (default: the origin of -request); a request for another audience is refused")
		c.fs.StringVar(&p.shape, "shape", "", "circuit shape for -unsafe-setup: default, reference or shape JSON (testing)")
		if err := c.parse(args); err != nil {
			return err
		}
		if p.requestURL == "" || p.keys == "" {
			c.fs.Usage()
			return fmt.Errorf("%w: -request and -keys are required", errUsage)
		}
		if !c.insecureLocal {
			if err := serve.NeedsInsecureLocal("-request", p.requestURL); err != nil {
				return err
			}
		}
		if isOpenID4VP(p.requestURL) {
			return c.presentOpenID4VP(ctx, &p, stdin, stdout, stderr)
		}
		return c.present(ctx, &p, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, name)
	}
}
