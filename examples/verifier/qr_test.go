package main

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/skip2/go-qrcode"
)

// TestQRSVG checks that the SVG is well-formed and has exactly the QR
// code's dark modules, each where the code has it.
func TestQRSVG(t *testing.T) {
	const text = "http://127.0.0.1:8082/requests/3f2b6c0e9a1d4e5f8a7b6c5d4e3f2a1b"
	svg, err := qrSVG(text)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ViewBox string `xml:"viewBox,attr"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	bm := q.Bitmap()
	if want := fmt.Sprintf("0 0 %d %d", len(bm), len(bm)); doc.ViewBox != want {
		t.Errorf("viewBox %q, want %q", doc.ViewBox, want)
	}
	got := map[[2]int]bool{}
	for _, cmd := range strings.Split(doc.Path.D, "z")[:strings.Count(doc.Path.D, "z")] {
		var x, y int
		if _, err := fmt.Sscanf(cmd, "M%d %dh1v1h-1", &x, &y); err != nil {
			t.Fatalf("path command %q: %v", cmd, err)
		}
		got[[2]int{x, y}] = true
	}
	dark := 0
	for y, row := range bm {
		for x, d := range row {
			if d {
				dark++
			}
			if d != got[[2]int{x, y}] {
				t.Fatalf("module (%d, %d): code %v, SVG %v", x, y, d, got[[2]int{x, y}])
			}
		}
	}
	if dark != len(got) || dark == 0 {
		t.Errorf("%d dark modules, SVG has %d squares", dark, len(got))
	}
}

// TestQREndpoint checks GET /qr.svg: an image for a URL, 400 for missing,
// oversize or non-UTF-8 data.
func TestQREndpoint(t *testing.T) {
	a := &app{}
	get := func(data string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		a.serveQR(rec, httptest.NewRequest("GET", "/qr.svg?data="+url.QueryEscape(data), nil))
		return rec
	}
	rec := get("https://shop.example/requests/abc")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(rec.Body.String(), "<svg") {
		t.Fatalf("QR of a URL: %d %q %.40q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("QR response headers: %v", rec.Header())
	}
	for name, data := range map[string]string{"empty": "", "oversize": strings.Repeat("a", maxQRText+1), "invalid UTF-8": "\xff\xfe"} {
		if rec := get(data); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", name, rec.Code)
		}
	}
}
