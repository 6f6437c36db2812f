//go:build js && wasm

// Command wasm is the browser wallet's WebAssembly module (GOOS=js
// GOARCH=wasm): it runs in the page's Web Worker and exposes the wallet
// (package core) to JavaScript as globalThis.zkcredWallet, whose methods
// return Promises. The worker (web/worker.js) stores what they return in
// IndexedDB and hands it back on start.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"time"

	gnarklog "github.com/consensys/gnark/logger"

	"github.com/zkcred/zkcred/examples/wallet/internal/core"
	"github.com/zkcred/zkcred/zkp"
)

var (
	mu     sync.Mutex
	wallet *core.Wallet
	offers = map[string]*core.OfferInfo{}
	nextID int
)

func main() {
	gnarklog.Disable()
	api := js.Global().Get("Object").New()
	set := func(name string, f func(args []js.Value) (any, error)) {
		api.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any { return promise(func() (any, error) { return f(args) }) }))
	}
	set("init", initWallet)
	set("newSecret", func([]js.Value) (any, error) { return core.NewSecret() })
	set("setSecret", func(a []js.Value) (any, error) { return nil, w().SetSecret(str(a, 0)) })
	set("addEntry", func(a []js.Value) (any, error) { return nil, w().AddEntry([]byte(str(a, 0))) })
	set("addIssuerData", func(a []js.Value) (any, error) {
		return nil, w().AddIssuerData(context.Background(), []byte(str(a, 0)), bytesArg(a, 1), bytesArg(a, 2), bytesArg(a, 3))
	})
	set("storeFailed", func(a []js.Value) (any, error) { w().StoreFailed(str(a, 0)); return nil, nil })
	set("sync", syncIssuers)
	set("list", func([]js.Value) (any, error) { return jsonString(w().List(context.Background())) })
	set("offer", offer)
	set("receive", receive)
	set("loadKeyBundle", loadKeyBundle)
	set("loadKeyCache", loadKeyCache)
	set("present", present)
	// Split proving (zkp.ProveSplit): the proving worker hands a helper
	// worker, another instance of this module, the helper key and then a
	// request per proof.
	set("splitHelperKey", func([]js.Value) (any, error) {
		b, err := w().SplitHelperKey()
		if err != nil {
			return nil, err
		}
		return toJSBytes(b), nil
	})
	set("enableSplit", func(a []js.Value) (any, error) {
		if len(a) > 0 && a[0].Truthy() {
			w().SetSplit(splitStart)
		} else {
			w().SetSplit(nil)
		}
		return nil, nil
	})
	set("scanQR", scanQR)
	set("splitLoad", splitLoad)
	set("splitAnswer", splitAnswer)
	js.Global().Set("zkcredWallet", api)
	select {}
}

func w() *core.Wallet {
	mu.Lock()
	defer mu.Unlock()
	return wallet
}

func str(a []js.Value, i int) string {
	if i >= len(a) || a[i].Type() != js.TypeString {
		return ""
	}
	return a[i].String()
}

func bytesArg(a []js.Value, i int) []byte {
	if i >= len(a) || a[i].Type() != js.TypeObject || a[i].Get("byteLength").Type() != js.TypeNumber {
		return nil
	}
	b := make([]byte, a[i].Get("byteLength").Int())
	js.CopyBytesToGo(b, a[i])
	return b
}

func toJSBytes(b []byte) js.Value {
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

func jsonString(v any) (any, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// promise runs f in a goroutine (so that it may block on the network or
// on the page) and returns a Promise of its result.
func promise(f func() (any, error)) js.Value {
	var exec js.Func
	exec = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			v, err := func() (v any, err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("internal error: %v", r)
					}
				}()
				return f()
			}()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	p := js.Global().Get("Promise").New(exec)
	exec.Release()
	return p
}

// await waits for a JavaScript Promise.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, a []js.Value) any {
		v := js.Undefined()
		if len(a) > 0 {
			v = a[0]
		}
		ch <- result{v: v}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any {
		ch <- result{err: errors.New("rejected")}
		return nil
	})
	p.Call("then", then, catch)
	r := <-ch
	then.Release()
	catch.Release()
	return r.v, r.err
}

func initWallet(a []js.Value) (any, error) {
	var cfg struct {
		InsecureLocal bool     `json:"insecureLocal"`
		KeysSHA256    string   `json:"keysSha256"`
		Fingerprint   string   `json:"fingerprint"`
		Witnesses     []string `json:"witnesses"`
		Quorum        int      `json:"quorum"`
	}
	if err := json.Unmarshal([]byte(str(a, 0)), &cfg); err != nil {
		return nil, fmt.Errorf("wallet configuration: %v", err)
	}
	nw, err := core.New(core.Config{InsecureLocal: cfg.InsecureLocal, KeysSHA256: cfg.KeysSHA256, Fingerprint: cfg.Fingerprint,
		Witnesses: cfg.Witnesses, Quorum: cfg.Quorum})
	if err != nil {
		return nil, err
	}
	mu.Lock()
	wallet = nw
	mu.Unlock()
	return nil, nil
}

// syncIssuers syncs the issuers' revocation logs (core.Wallet.Sync) and
// returns {issuers: [{issuerUrl, data, ids?, tiles?, roots?}], error?,
// splitView?}: the worker stores each data with its ids, hash tiles and
// subtree roots (Uint8Arrays, when they changed) in one IndexedDB
// transaction.
func syncIssuers([]js.Value) (any, error) {
	ds, err := w().Sync(context.Background())
	out := js.Global().Get("Array").New()
	for _, d := range ds {
		o := js.Global().Get("Object").New()
		o.Set("issuerUrl", d.IssuerURL)
		o.Set("data", string(d.Data))
		if d.IDs != nil {
			o.Set("ids", toJSBytes(d.IDs))
		}
		if d.Tiles != nil {
			o.Set("tiles", toJSBytes(d.Tiles))
		}
		if d.Roots != nil {
			o.Set("roots", toJSBytes(d.Roots))
		}
		out.Call("push", o)
	}
	r := js.Global().Get("Object").New()
	r.Set("issuers", out)
	switch {
	case core.IsSplitView(err):
		r.Set("error", core.SplitViewMessage)
		r.Set("splitView", true)
		r.Set("detail", err.Error())
	case err != nil:
		r.Set("error", "Could not reach an agency to refresh revocation data; the wallet will retry.")
		r.Set("detail", err.Error())
	}
	return r, nil
}

func offer(a []js.Value) (any, error) {
	info, err := w().Offer(context.Background(), str(a, 0))
	r := js.Global().Get("Object").New()
	if err != nil {
		r.Set("error", core.PlainError(err))
		r.Set("detail", err.Error())
		return r, nil
	}
	mu.Lock()
	nextID++
	id := fmt.Sprint(nextID)
	offers[id] = info
	mu.Unlock()
	s, _ := jsonString(info)
	r.Set("id", id)
	r.Set("info", s)
	return r, nil
}

func receive(a []js.Value) (any, error) {
	mu.Lock()
	info := offers[str(a, 0)]
	mu.Unlock()
	r := js.Global().Get("Object").New()
	if info == nil {
		r.Set("error", "Paste the offer again.")
		return r, nil
	}
	e, b, err := w().Receive(context.Background(), info, str(a, 1))
	if err != nil {
		r.Set("error", core.PlainError(err))
		r.Set("detail", err.Error())
		return r, nil
	}
	mu.Lock()
	delete(offers, str(a, 0))
	mu.Unlock()
	r.Set("entry", string(b))
	r.Set("id", e.ID)
	return r, nil
}

func loadKeyBundle(a []js.Value) (any, error) {
	start := time.Now()
	cache, sum, err := w().LoadKeyBundle(bytesArg(a, 0))
	if err != nil {
		return nil, err
	}
	r := js.Global().Get("Object").New()
	r.Set("cache", toJSBytes(cache))
	r.Set("digest", hex.EncodeToString(sum[:]))
	r.Set("ms", time.Since(start).Milliseconds())
	return r, nil
}

func loadKeyCache(a []js.Value) (any, error) {
	start := time.Now()
	d, err := hex.DecodeString(str(a, 1))
	if err != nil || len(d) != 32 {
		return nil, errors.New("key cache digest is not 64 hex digits")
	}
	var sum [32]byte
	copy(sum[:], d)
	if err := w().LoadKeyCache(bytesArg(a, 0), sum); err != nil {
		return nil, err
	}
	r := js.Global().Get("Object").New()
	r.Set("ms", time.Since(start).Milliseconds())
	return r, nil
}

// present answers a request; a[1] is the page's consent function: given
// the consent screen (JSON), it returns a Promise of true or false.
func present(a []js.Value) (any, error) {
	ask := a[1]
	o := w().Present(context.Background(), str(a, 0), func(_ context.Context, c *core.Consent) error {
		s, _ := jsonString(c)
		v, err := await(ask.Invoke(s))
		if err != nil || v.Type() != js.TypeBoolean || !v.Bool() {
			return errors.New("declined")
		}
		return nil
	})
	return jsonString(o)
}

// splitStart sends a split-proving request to the helper worker through
// the worker's zkcredSplit (web/worker.js), which posts it at once and
// returns a Promise of the answer; waiting for it lets this module's
// event loop run, so the answer is read when the prover needs it.
func splitStart(req []byte) func() ([]byte, error) {
	f := js.Global().Get("zkcredSplit")
	if f.Type() != js.TypeFunction {
		return func() ([]byte, error) { return nil, errors.New("no helper worker") }
	}
	p := f.Invoke(toJSBytes(req))
	return func() ([]byte, error) {
		v, err := await(p)
		if err != nil {
			return nil, fmt.Errorf("helper worker: %w", err)
		}
		// An answer is a few hundred bytes (zkp/FORMAT.md): anything
		// longer is not read.
		if v.Type() != js.TypeObject || v.Get("byteLength").Type() != js.TypeNumber || v.Get("byteLength").Int() > 4096 {
			return nil, errors.New("helper worker: not an answer")
		}
		return bytesArg([]js.Value{v}, 0), nil
	}
}

// The helper worker's side: the helper key it holds.
var (
	helperMu sync.Mutex
	helper   *zkp.SplitHelper
)

// maxSplitValue bounds what the helper copies into Go: a helper key is
// 4.3 MB and a request 1.1 MB for the default shape.
const maxSplitValue = 64 << 20

func splitArg(a []js.Value) ([]byte, error) {
	if len(a) == 0 || a[0].Type() != js.TypeObject || a[0].Get("byteLength").Type() != js.TypeNumber || a[0].Get("byteLength").Int() > maxSplitValue {
		return nil, errors.New("not a split-proving value")
	}
	return bytesArg(a, 0), nil
}

func splitLoad(a []js.Value) (any, error) {
	b, err := splitArg(a)
	if err != nil {
		return nil, err
	}
	h, err := zkp.ParseSplitHelper(b)
	if err != nil {
		return nil, err
	}
	helperMu.Lock()
	helper = h
	helperMu.Unlock()
	return nil, nil
}

func splitAnswer(a []js.Value) (any, error) {
	helperMu.Lock()
	h := helper
	helperMu.Unlock()
	if h == nil {
		return nil, errors.New("no helper key loaded")
	}
	req, err := splitArg(a)
	if err != nil {
		return nil, err
	}
	b, err := h.Answer(req)
	if err != nil {
		return nil, err
	}
	return toJSBytes(b), nil
}

// scanQR reads the QR code in a camera frame or photo: a[0] width, a[1]
// height, a[2] the RGBA pixels (a canvas's ImageData). It resolves to the
// code's text, or "" when the frame holds none.
func scanQR(a []js.Value) (any, error) {
	if len(a) < 3 || a[0].Type() != js.TypeNumber || a[1].Type() != js.TypeNumber ||
		a[2].Type() != js.TypeObject || a[2].Get("byteLength").Type() != js.TypeNumber ||
		a[2].Get("byteLength").Int() > core.MaxQRPixels*4 {
		return nil, errors.New("not an image")
	}
	text, err := core.DecodeQR(bytesArg(a, 2), a[0].Int(), a[1].Int())
	if errors.Is(err, core.ErrNoQR) {
		return "", nil
	}
	if err != nil {
		return nil, err
	}
	return text, nil
}
