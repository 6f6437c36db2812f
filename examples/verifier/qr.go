package main

import (
	"bytes"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/skip2/go-qrcode"
)

// maxQRText bounds what /qr.svg encodes: a request URL is under 200 bytes,
// and a QR code at error-correction level M holds at most 2,331 bytes.
const maxQRText = 512

// qrSVG renders text as a QR code (error correction M, 4-module quiet
// zone) in SVG, one unit square per dark module, so a phone wallet can
// scan the request URL off the page.
func qrSVG(text string) ([]byte, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	bm := q.Bitmap()
	n := len(bm)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}

// serveQR answers GET /qr.svg?data=TEXT with the QR code of TEXT (the page
// passes the request URL it shows).
func (a *app) serveQR(w http.ResponseWriter, r *http.Request) {
	text := r.URL.Query().Get("data")
	if text == "" || len(text) > maxQRText || !utf8.ValidString(text) {
		http.Error(w, fmt.Sprintf("data must be 1 to %d bytes of UTF-8", maxQRText), http.StatusBadRequest)
		return
	}
	svg, err := qrSVG(text)
	if err != nil {
		http.Error(w, "cannot encode data as a QR code", http.StatusBadRequest)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=3600")
	w.Write(svg)
}
