// Command wallet serves zkcred's browser wallet: a static web application
// whose holder logic (receiving credentials over OpenID4VCI, answering
// OpenID4VP requests, proving in zero knowledge) runs in the citizen's
// browser, compiled to WebAssembly and run in a Web Worker.
//
// It is a development server: it builds the WebAssembly module on start
// (go build with GOOS=js GOARCH=wasm, into a cache directory) unless given
// -prebuilt, publishes the circuit keys as one key bundle with its SHA-256
// and fingerprint in config.json, and serves the files. -export writes the
// same files to a directory, for any static web server.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/zkp"
)

const usage = `usage: wallet -keys DIR [flags]

Serves the zkcred browser wallet (HTML, JavaScript, the WebAssembly module,
the circuit keys) for development, or writes it out with -export.

  GET /              the wallet page
  GET /wallet.wasm   the wallet module (built on start unless -prebuilt)
  GET /keys.bin      the circuit keys as one key bundle (zkp.Keys.WriteTo)
  GET /config.json   {"keysSha256", "fingerprint", "insecureLocal",
                     "witnesses", "quorum"}: the wallet checks the keys it
                     downloads against them, and accepts an agency's
                     revocation checkpoint only with "quorum" cosignatures
                     of the "witnesses" (-witness, -quorum)

-keys is the key directory the verifier uses (zkp.LoadKeys). Building the
module takes about a minute on two cores; it is cached in -cache by the
hash of the sources' build ID, so later starts are quick.

flags:
`

const examples = `
examples:
  wallet -keys ./keys -insecure-local -witness "$(witness -print-key -data ./w)"   # http://127.0.0.1:8090
  wallet -keys ./keys -export ./site                  # static files for a web server
  wallet -keys ./keys -prebuilt ./site -addr 127.0.0.1:9000
`

//go:embed web
var webFS embed.FS

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fatalError(logger, "wallet: error", "err", err)
	}
}

// fatalError logs msg and exits with status 1.
func fatalError(logger *slog.Logger, msg string, args ...any) {
	logger.Error(msg, args...)
	os.Exit(1)
}

type options struct {
	addr, keys, prebuilt, cache, export string
	insecureLocal                       bool
	gogc, quorum                        int
	witnesses                           []string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("wallet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		fmt.Fprint(stderr, examples)
	}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8090", "listen address")
	fs.StringVar(&o.keys, "keys", "", "circuit key directory, as the verifier's (required)")
	fs.StringVar(&o.prebuilt, "prebuilt", "", "directory holding wallet.wasm and wasm_exec.js: do not build")
	fs.StringVar(&o.cache, "cache", defaultCache(), "where the built module is cached")
	fs.StringVar(&o.export, "export", "", "write the wallet's static files to this directory and exit")
	fs.IntVar(&o.gogc, "gogc", 0, "GOGC of the wallet module in the browser (0: Go's default, 100); higher trades memory for less collection while proving")
	fs.BoolVar(&o.insecureLocal, "insecure-local", false, "INSECURE, development only: the wallet fetches over http:// from this machine (issuer and verifier on 127.0.0.1)")
	fs.Func("witness", "a witness the wallet trusts to cosign agencies' revocation checkpoints: its verifier `VKEY` (as examples/witness -print-key prints it); repeat for several", func(v string) error {
		if _, err := tlog.ParseWitnessKey(v); err != nil {
			return err
		}
		o.witnesses = append(o.witnesses, v)
		return nil
	})
	fs.IntVar(&o.quorum, "quorum", -1, "how many of the -witness cosignatures a checkpoint needs (default: all of them)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.keys == "" || fs.NArg() != 0 {
		fs.Usage()
		return nil, errors.New("bad arguments: -keys is required")
	}
	if o.quorum < 0 {
		o.quorum = len(o.witnesses)
	}
	if o.quorum > len(o.witnesses) {
		fs.Usage()
		return nil, fmt.Errorf("bad arguments: -quorum %d of %d -witness keys", o.quorum, len(o.witnesses))
	}
	if o.quorum == 0 {
		fmt.Fprintln(stderr, "wallet: WARNING: no witness quorum (-witness VKEY): an agency could show the wallet a revocation log of its own (a split view) without being caught")
	}
	return o, nil
}

func defaultCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "zkcred-wallet")
	}
	return filepath.Join(os.TempDir(), "zkcred-wallet")
}

// site is the wallet's files, by name.
type site map[string][]byte

// build assembles the site: web files, module, wasm_exec.js, keys and
// config.
func build(ctx context.Context, o *options, log io.Writer) (site, error) {
	keys, err := zkp.LoadKeys(o.keys, nil)
	if err != nil {
		return nil, fmt.Errorf("-keys %s: %w", o.keys, err)
	}
	var bundle bytes.Buffer
	if _, err := keys.WriteTo(&bundle); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(bundle.Bytes())
	cfg, err := json.MarshalIndent(map[string]any{
		"keysSha256": hex.EncodeToString(sum[:]), "fingerprint": keys.VerifyingKey.Fingerprint().String(),
		"keysUrl": "keys.bin", "insecureLocal": o.insecureLocal, "gogc": o.gogc,
		"witnesses": append([]string{}, o.witnesses...), "quorum": o.quorum,
	}, "", "  ")
	if err != nil {
		return nil, err
	}
	s := site{"keys.bin": bundle.Bytes(), "config.json": cfg}
	dir := o.prebuilt
	if dir == "" {
		if dir, err = buildModule(ctx, o.cache, log); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"wallet.wasm", "wasm_exec.js"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("the wallet module: %w (build it, or drop -prebuilt)", err)
		}
		s[name] = b
	}
	err = fs.WalkDir(webFS, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := webFS.ReadFile(p)
		s[strings.TrimPrefix(p, "web/")] = b
		return err
	})
	return s, err
}

// buildModule builds the wallet module into cache/<key> and copies
// wasm_exec.js beside it, printing progress (it takes a while). The key
// is a hash of the Go version and the module's sources as the go
// command lists them, so an unchanged tree is not rebuilt.
func buildModule(ctx context.Context, cache string, log io.Writer) (string, error) {
	root, err := goOutput(ctx, "", nil, "env", "GOMOD")
	if err != nil || root == "" || root == os.DevNull {
		return "", errors.New("building the module needs the zkcred source tree (run from it), or give -prebuilt DIR")
	}
	root = filepath.Dir(root)
	env := []string{"GOOS=js", "GOARCH=wasm"}
	const pkg = "github.com/zkcred/zkcred/examples/wallet/wasm"
	// The go command's view of every source file the module compiles.
	list, err := goOutput(ctx, root, env, "list", "-deps", "-f", "{{.Dir}} {{.GoFiles}} {{.EmbedFiles}}", pkg)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	goroot, _ := goOutput(ctx, root, nil, "env", "GOROOT")
	ver, _ := goOutput(ctx, root, nil, "version")
	fmt.Fprintln(h, ver)
	for _, line := range strings.Split(list, "\n") {
		dir, files, _ := strings.Cut(line, " ")
		for _, f := range strings.Fields(strings.Trim(strings.ReplaceAll(strings.ReplaceAll(files, "[", " "), "]", " "), " ")) {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%s %x\n", filepath.Join(dir, f), sha256.Sum256(b))
		}
	}
	out := filepath.Join(cache, hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(out, "wallet.wasm")); err == nil {
		fmt.Fprintf(log, "wallet: using the module built earlier in %s\n", out)
		return out, nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "wallet: building the WebAssembly module (GOOS=js GOARCH=wasm go build %s); about a minute on two cores\n", pkg)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(log, "wallet: still building (%s)\n", time.Since(start).Round(time.Second))
			}
		}
	}()
	tmp := filepath.Join(out, "wallet.wasm.tmp")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", tmp, pkg)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = root, append(os.Environ(), env...), log, log
	err = cmd.Run()
	close(done)
	if err != nil {
		return "", fmt.Errorf("building the wallet module: %w", err)
	}
	wasmExec, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return "", fmt.Errorf("wasm_exec.js from GOROOT: %w", err)
	}
	if err := os.WriteFile(filepath.Join(out, "wasm_exec.js"), wasmExec, 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, filepath.Join(out, "wallet.wasm")); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "wallet: module built in %s\n", time.Since(start).Round(time.Second))
	pruneCache(cache, out)
	return out, nil
}

// pruneCache removes the modules built for other sources from cache
// (about 28 MB each), keeping keep and the newest other one.
func pruneCache(cache, keep string) {
	entries, err := os.ReadDir(cache)
	if err != nil {
		return
	}
	type built struct {
		path string
		mod  time.Time
	}
	var old []built
	for _, e := range entries {
		p := filepath.Join(cache, e.Name())
		fi, err := os.Stat(filepath.Join(p, "wallet.wasm"))
		if !e.IsDir() || p == keep || err != nil {
			continue
		}
		old = append(old, built{p, fi.ModTime()})
	}
	slices.SortFunc(old, func(a, b built) int { return b.mod.Compare(a.mod) })
	for _, b := range old[min(1, len(old)):] {
		os.RemoveAll(b.path)
	}
}

func goOutput(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(b)), nil
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
	".wasm": "application/wasm", ".json": "application/json", ".bin": "application/octet-stream",
}

// handler serves the site. The page gets a Content-Security-Policy that
// allows its own scripts, WebAssembly and connections to any https origin
// (the issuers and verifiers it talks to), http ones only with
// -insecure-local.
func (s site) handler(insecureLocal bool) http.Handler {
	connect := "'self' https:"
	if insecureLocal {
		connect += " http://127.0.0.1:* http://localhost:*"
	}
	csp := "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src " + connect + "; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = "index.html"
		}
		b, ok := s[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentTypes[filepath.Ext(name)])
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
}

// run serves until ctx ends (or exports and returns). If ready is not
// nil it receives the base URL once the server listens.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(baseURL string)) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	s, err := build(ctx, o, stderr)
	if err != nil {
		return err
	}
	if o.export != "" {
		if err := os.MkdirAll(o.export, 0o755); err != nil {
			return err
		}
		for name, b := range s {
			if err := os.WriteFile(filepath.Join(o.export, name), b, 0o644); err != nil {
				return err
			}
		}
		fmt.Fprintf(stderr, "wallet: wrote %d files to %s (serve wallet.wasm as application/wasm)\n", len(s), o.export)
		return nil
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.handler(o.insecureLocal), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stderr, "wallet: serving the wallet at %s/ (module %.1f MB, keys %.1f MB)\n", base,
		float64(len(s["wallet.wasm"]))/1e6, float64(len(s["keys.bin"]))/1e6)
	if ready != nil {
		ready(base)
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
