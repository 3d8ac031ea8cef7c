package upload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
)

// sniffable reports whether Sniff can return t: the essences of
// http.DetectContentType's table in Go 1.26.
func sniffable(t string) bool {
	switch t {
	case "application/octet-stream", "application/ogg", "application/pdf", "application/postscript",
		"application/vnd.ms-fontobject", "application/wasm", "application/x-gzip",
		"application/x-rar-compressed", "application/zip", "audio/aiff", "audio/midi", "audio/mpeg",
		"audio/wave", "font/collection", "font/otf", "font/ttf", "font/woff", "font/woff2",
		"image/bmp", "image/gif", "image/jpeg", "image/png", "image/webp", "image/x-icon",
		"text/html", "text/plain", "text/xml", "video/avi", "video/mp4", "video/webm":
		return true
	}
	return false
}

const octetStream = "application/octet-stream"

const (
	sigPNG  = "\x89PNG\r\n\x1a\n"
	sigJPEG = "\xff\xd8\xff"
	sigGIF7 = "GIF87a"
	sigGIF9 = "GIF89a"
)

func hasPrefix(data []byte, sig string) bool {
	return len(data) >= len(sig) && string(data[:len(sig)]) == sig
}

// Sniff returns the media type (essence only, such as "image/png") of
// data, judged from the bytes alone. It never looks at a file name or a
// client-sent Content-Type.
//
// PNG, JPEG, GIF and WebP are recognised strictly: the signature (PNG's
// eight bytes, JPEG's SOI marker FF D8 FF, GIF87a/GIF89a, RIFF….WEBP with a
// VP8, VP8L or VP8X chunk) and a well-formed header giving non-zero
// dimensions. Data that starts like one of them but fails that check is
// "application/octet-stream", never the image type. Anything else gets
// http.DetectContentType's verdict (on the first 512 bytes) without
// parameters, so a script is "text/html" or "text/plain" whatever its
// name says.
func Sniff(data []byte) string {
	typ, _, _ := sniffImage(data)
	return typ
}

// sniffImage is Sniff that also returns an image's dimensions (zero for
// other types).
func sniffImage(data []byte) (typ string, width, height int) {
	var w, h int
	var err error
	switch {
	case hasPrefix(data, sigPNG):
		typ = "image/png"
		w, h, err = pngSize(data)
	case hasPrefix(data, sigJPEG):
		typ = "image/jpeg"
		w, h, err = jpegSize(data)
	case hasPrefix(data, sigGIF7), hasPrefix(data, sigGIF9):
		typ = "image/gif"
		w, h, err = gifSize(data)
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		typ = "image/webp"
		w, h, err = webpSize(data)
	default:
		ct := http.DetectContentType(data)
		if i := strings.IndexByte(ct, ';'); i >= 0 {
			ct = ct[:i]
		}
		ct = strings.TrimSpace(ct)
		if strictImage(ct) {
			// DetectContentType saw an image signature the strict
			// checks above did not: not a well-formed image.
			return octetStream, 0, 0
		}
		return ct, 0, 0
	}
	if err != nil || w <= 0 || h <= 0 {
		return octetStream, 0, 0
	}
	return typ, w, h
}

func strictImage(t string) bool {
	switch t {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

func pngSize(data []byte) (int, int, error) {
	c, err := png.DecodeConfig(bytes.NewReader(data))
	return c.Width, c.Height, err
}

func jpegSize(data []byte) (int, int, error) {
	c, err := jpeg.DecodeConfig(bytes.NewReader(data))
	return c.Width, c.Height, err
}

func gifSize(data []byte) (int, int, error) {
	c, err := gif.DecodeConfig(bytes.NewReader(data))
	return c.Width, c.Height, err
}

var errWebP = errors.New("upload: malformed WebP header")

// webpSize reads the canvas size from the first chunk of a WebP file
// (RFC 9649): VP8 (lossy key frame), VP8L (lossless) or VP8X (extended).
func webpSize(d []byte) (int, int, error) {
	if len(d) < 30 {
		return 0, 0, errWebP
	}
	switch string(d[12:16]) {
	case "VP8 ":
		// Frame tag (3 bytes, key frame has bit 0 clear), start code
		// 9d 01 2a, then 14-bit width and height with 2-bit scales.
		if d[20]&1 != 0 || d[23] != 0x9d || d[24] != 0x01 || d[25] != 0x2a {
			return 0, 0, errWebP
		}
		w := int(binary.LittleEndian.Uint16(d[26:28]) & 0x3fff)
		h := int(binary.LittleEndian.Uint16(d[28:30]) & 0x3fff)
		return w, h, nil
	case "VP8L":
		// Signature 0x2f, then 14 bits width-1 and 14 bits height-1.
		if d[20] != 0x2f {
			return 0, 0, errWebP
		}
		bits := binary.LittleEndian.Uint32(d[21:25])
		return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1, nil
	case "VP8X":
		// Flags, 3 reserved bytes, 24-bit canvas width-1 and height-1.
		w := int(d[24]) | int(d[25])<<8 | int(d[26])<<16
		h := int(d[27]) | int(d[28])<<8 | int(d[29])<<16
		return w + 1, h + 1, nil
	}
	return 0, 0, errWebP
}

// extensionsFor returns the file-name extensions that agree with a sniffed
// type; the first is appended to names that disagree. nil: no opinion.
func extensionsFor(t string) []string {
	switch t {
	case "image/png":
		return []string{".png"}
	case "image/jpeg":
		return []string{".jpg", ".jpeg", ".jpe", ".jfif"}
	case "image/gif":
		return []string{".gif"}
	case "image/webp":
		return []string{".webp"}
	case "image/bmp":
		return []string{".bmp"}
	case "image/x-icon":
		return []string{".ico"}
	case "application/pdf":
		return []string{".pdf"}
	case "application/zip":
		return []string{".zip"}
	case "text/plain":
		return []string{".txt"}
	case "video/mp4":
		return []string{".mp4"}
	case "video/webm":
		return []string{".webm"}
	case "audio/mpeg":
		return []string{".mp3"}
	}
	return nil
}
