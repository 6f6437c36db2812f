package core

import (
	"errors"
	"fmt"
	"image"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// QR codes: the wallet reads the issuer's offer and the verifier's request
// from a camera frame or a photo (the page hands the pixels to the worker)
// with gozxing, the Go port of ZXing, the reference open-source barcode
// reader.

// ErrNoQR is returned by [DecodeQR] when the image holds no QR code it can
// read (the usual answer while the camera looks for one).
var ErrNoQR = errors.New("wallet: no QR code in the image")

// ErrQRImage is returned by [DecodeQR] for pixels that are not an image
// of the size given, or an image larger than [MaxQRPixels].
var ErrQRImage = errors.New("wallet: not a QR image")

const (
	// MaxQRPixels bounds the image [DecodeQR] reads: 1024×1024, what the
	// page sends (it scales frames and photos down to 1024 pixels on the
	// longer side). The reader's time grows faster than the pixel count
	// on hostile pictures (a poster of tiled finder patterns: 1.4 s
	// natively at 1024×1024, 8.4 s at 2048×2048), and it runs in the
	// worker that also proves.
	MaxQRPixels = 1024 * 1024
	// maxQRText bounds what a QR code may hold: offers and requests by
	// reference are a few hundred bytes, and a version-40 QR code holds
	// under 3 KB.
	maxQRText = 4096
)

// DecodeQR reads the QR code in an RGBA image (4 bytes a pixel, rows top
// to bottom, as a canvas's ImageData holds it) of width × height pixels.
// The pixels must be exactly that many; the text must be valid UTF-8.
func DecodeQR(rgba []byte, width, height int) (text string, err error) {
	if width <= 0 || height <= 0 || width > MaxQRPixels || height > MaxQRPixels || width*height > MaxQRPixels {
		return "", fmt.Errorf("%w: %d×%d pixels (at most %d)", ErrQRImage, width, height, MaxQRPixels)
	}
	if len(rgba) != width*height*4 {
		return "", fmt.Errorf("%w: %d bytes for %d×%d pixels", ErrQRImage, len(rgba), width, height)
	}
	// gozxing is a port of Java code that reports some malformed codes by
	// panicking deep inside: a frame of the camera must never stop the
	// wallet.
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("%w (the reader failed: %v)", ErrNoQR, r)
		}
	}()
	img := &image.NRGBA{Pix: rgba, Stride: 4 * width, Rect: image.Rect(0, 0, width, height)}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoQR, err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoQR, err)
	}
	text = res.GetText()
	if len(text) > maxQRText || !utf8.ValidString(text) {
		return "", fmt.Errorf("%w: the QR code's text is not a link", ErrNoQR)
	}
	return text, nil
}
