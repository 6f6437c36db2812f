package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/zkcred/zkcred/credential/display"
	"github.com/zkcred/zkcred/did/strictjson"
)

// runOffer is "issuer offer": the back office asks the running issuer
// (POST /admin/offers) for an offer for one register record, and prints
// the offer URI, a QR code of it and the PIN.
func runOffer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("issuer offer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage, "\nflags of offer:\n")
		fs.PrintDefaults()
	}
	issuerURL := fs.String("issuer", "http://127.0.0.1:8081", "base URL of the running issuer")
	data := fs.String("data", "", "the issuer's data directory (for its admin.token)")
	tokenFile := fs.String("admin-token-file", "", "file holding the admin bearer token (default DATA/admin.token)")
	record := fs.String("record", "", "register record id, e.g. citizen-1 (required)")
	byValue := fs.Bool("by-value", false, "print and encode the offer by value (credential_offer=...) instead of by reference")
	qrFile := fs.String("qr", "", "also write the QR code as a PNG `FILE`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tokenFile == "" && *data != "" {
		*tokenFile = filepath.Join(*data, "admin.token")
	}
	if *record == "" || *tokenFile == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("bad arguments: -record and one of -data or -admin-token-file are required")
	}
	tok, err := os.ReadFile(*tokenFile)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(offerRequest{RecordID: *record})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(*issuerURL, "/")+"/admin/offers", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+string(bytes.TrimSpace(tok)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusCreated {
		// The issuer answers {"error": "..."}: show the message, not the
		// JSON (an error line would escape its quotes once more).
		var e struct {
			Error string `json:"error"`
		}
		msg := string(bytes.TrimSpace(b))
		if strictjson.UnmarshalOpen(b, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		msg = display.Escape(msg, 300) // shown on a terminal
		return fmt.Errorf("POST /admin/offers: %s: %s", res.Status, msg)
	}
	var o offerResponse
	if err := unmarshalStrict(b, &o); err != nil {
		return fmt.Errorf("POST /admin/offers: %w", err)
	}
	uri := o.URI
	if *byValue {
		uri = o.ValueURI
	}
	q, err := qrcode.New(uri, qrcode.Low)
	if err != nil {
		return err
	}
	if *qrFile != "" {
		if err := q.WriteFile(512, *qrFile); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "offer %s for %s, valid until %s:\n\n%s\n\n%s\n", o.OfferID, *record, o.ExpiresAt.Format(time.RFC3339), uri, q.ToSmallString(false))
	fmt.Fprintf(stdout, "PIN %s (send it to the citizen on another channel than the offer)\n", o.TxCode)
	return nil
}
