package core

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	qr "github.com/skip2/go-qrcode"
)

// frame returns text's QR code drawn at (x, y) on a grey w×h canvas, as
// the page's canvas holds a camera frame (RGBA bytes).
func frame(t testing.TB, text string, size, x, y, w, h int) []byte {
	t.Helper()
	b, err := qr.Encode(text, qr.Medium, size)
	if err != nil {
		t.Fatal(err)
	}
	code, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{Y: 128}), image.Point{}, draw.Src)
	draw.Draw(img, code.Bounds().Add(image.Pt(x, y)), code, image.Point{}, draw.Src)
	return img.Pix
}

func TestDecodeQR(t *testing.T) {
	for _, text := range []string{
		"openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fagency.example%2Foffers%2F6f2c1a",
		"openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Averifier.example&request_uri=https%3A%2F%2Fverifier.example%2Frequest%2Fq1",
	} {
		got, err := DecodeQR(frame(t, text, 300, 170, 90, 640, 480), 640, 480)
		if err != nil || got != text {
			t.Fatalf("DecodeQR: %q, %v; want %q", got, err, text)
		}
	}
	// No code: ErrNoQR, the answer to most camera frames.
	blank := make([]byte, 64*48*4)
	if _, err := DecodeQR(blank, 64, 48); !errors.Is(err, ErrNoQR) {
		t.Fatalf("blank frame: %v", err)
	}
	// Sizes that do not match the pixels, or beyond the bound.
	for _, c := range []struct {
		n, w, h int
	}{{0, 0, 0}, {4, 1, 2}, {8, 1, 1}, {16, -2, -2}, {0, 1 << 16, 1 << 16}, {4, 1 << 62, 4}, {1025 * 1024 * 4, 1025, 1024}} {
		if _, err := DecodeQR(make([]byte, c.n), c.w, c.h); !errors.Is(err, ErrQRImage) {
			t.Errorf("%d bytes, %d×%d: %v", c.n, c.w, c.h, err)
		}
	}
}

// FuzzDecodeQR: random pixels and sizes never panic and give ErrNoQR or
// ErrQRImage.
func FuzzDecodeQR(f *testing.F) {
	f.Add(frame(f, "openid4vp://?request_uri=https%3A%2F%2Fv.example%2Fr", 80, 4, 4, 88, 88), 88, 88)
	f.Add([]byte{0, 0, 0, 255}, 1, 1)
	f.Fuzz(func(t *testing.T, pix []byte, w, h int) {
		if w > 0 && h > 0 && w <= 128 && h <= 128 && len(pix) < w*h*4 {
			// Stretch the input to the size, so the reader sees images.
			full := make([]byte, w*h*4)
			for i := range full {
				if len(pix) > 0 {
					full[i] = pix[i%len(pix)]
				}
			}
			pix = full
		}
		_, err := DecodeQR(pix, w, h)
		if err != nil && !errors.Is(err, ErrNoQR) && !errors.Is(err, ErrQRImage) {
			t.Fatalf("error %v wraps neither sentinel", err)
		}
	})
}

// TestDecodeQRNoise: a noisy frame around a code still reads, and noise
// alone never panics.
func TestDecodeQRNoise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pix := frame(t, "openid4vp://?request_uri=https%3A%2F%2Fv.example%2Fr%2F1", 320, 100, 40, 480, 400)
	for i := range pix { // sensor noise, ±40 on every channel
		if i%4 != 3 {
			pix[i] = byte(min(255, max(0, int(pix[i])+r.IntN(81)-40)))
		}
	}
	if got, err := DecodeQR(pix, 480, 400); err != nil || !strings.HasPrefix(got, "openid4vp://") {
		t.Fatalf("noisy frame: %q %v", got, err)
	}
	for range 20 {
		noise := make([]byte, 120*90*4)
		for i := range noise {
			noise[i] = byte(r.IntN(256))
		}
		if _, err := DecodeQR(noise, 120, 90); !errors.Is(err, ErrNoQR) {
			t.Fatalf("noise: %v", err)
		}
	}
}
