package upload

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/reqctx"
)

// Check vets one uploaded file, for a resolver (or a directive) to call
// before it stores anything. It
//
//  1. refuses a file over MaxFileBytes with CodeTooLarge, reading at most
//     MaxFileBytes+1 bytes whatever Size claims;
//  2. sniffs the type from the bytes (Sniff) and refuses one outside
//     AllowedTypes with CodeTypeNotAllowed, naming the detected type; the
//     client's Content-Type and file name are ignored;
//  3. refuses an image whose header declares more than MaxImagePixels
//     pixels with CodeTooLarge;
//  4. runs the Scanner, if any: its error refuses the file with
//     CodeRejected and is logged, not sent.
//
// On success it returns an Upload whose File is a *bytes.Reader over the
// content (re-readable: Seek to 0), whose ContentType is the sniffed type,
// whose Size is the real size, and whose Filename is SanitizeFilename of
// the client's name with an extension that agrees with the type. On
// failure the error is a *gqlerror.Error with extensions.code and a
// client-safe message, wrapping one of the Err sentinels: return it from
// the resolver as is.
func (g *Guard) Check(ctx context.Context, up graphql.Upload) (graphql.Upload, error) {
	out, rej := g.check(ctx, up)
	if rej != nil {
		g.audit.Reject(ctx, httpsec.RejectEvent{Code: rej.code, Detail: rej.detail})
		return graphql.Upload{}, rej.gqlError()
	}
	return out, nil
}

func (g *Guard) check(ctx context.Context, up graphql.Upload) (graphql.Upload, *rejection) {
	limit := g.limits.MaxFileBytes
	tooBig := func() *rejection {
		return tooLarge(http.StatusRequestEntityTooLarge,
			"The file is larger than the limit of "+strconv.FormatInt(limit, 10)+" bytes.",
			"max_file_bytes="+strconv.FormatInt(limit, 10))
	}
	if up.File == nil {
		return graphql.Upload{}, malformed("no file content")
	}
	if up.Size > limit {
		return graphql.Upload{}, tooBig()
	}
	// A resolver may have read the file already; start from the top. A
	// File that cannot seek is read from where it is.
	_, _ = up.File.Seek(0, io.SeekStart)
	hint := up.Size
	if hint <= 0 || hint > limit {
		hint = 32 << 10
	}
	buf := bytes.NewBuffer(make([]byte, 0, hint+bytes.MinRead))
	n, err := buf.ReadFrom(io.LimitReader(up.File, limit+1))
	if err != nil {
		return graphql.Upload{}, &rejection{code: CodeRejected, message: "The file could not be read.",
			status: http.StatusBadRequest, err: fmt.Errorf("%w: reading: %w", ErrRejected, err), detail: "read_error"}
	}
	if n > limit {
		return graphql.Upload{}, tooBig()
	}
	data := buf.Bytes()
	typ, w, h := sniffImage(data)
	if !g.allowedType(typ) {
		return graphql.Upload{}, &rejection{code: CodeTypeNotAllowed, status: http.StatusUnsupportedMediaType,
			message: "The file's content is " + typ + ", which is not an allowed type (" + strings.Join(g.allowed, ", ") + ").",
			err:     fmt.Errorf("%w: detected %s", ErrTypeNotAllowed, typ), detail: "detected=" + typ}
	}
	if px := int64(w) * int64(h); g.limits.MaxImagePixels != rampart.Unlimited && px > g.limits.MaxImagePixels {
		dims := strconv.Itoa(w) + "x" + strconv.Itoa(h)
		return graphql.Upload{}, tooLarge(http.StatusRequestEntityTooLarge,
			"The image is "+dims+" pixels, more than the limit of "+strconv.FormatInt(g.limits.MaxImagePixels, 10)+" pixels.",
			"max_image_pixels="+strconv.FormatInt(g.limits.MaxImagePixels, 10)+" observed="+dims)
	}
	name := withExtension(SanitizeFilename(up.Filename, g.limits.MaxFilenameBytes), typ, g.limits.MaxFilenameBytes)
	if g.scanner != nil {
		if err := g.scanner.Scan(ctx, name, bytes.NewReader(data)); err != nil {
			if g.log != nil {
				g.log.LogAttrs(ctx, slog.LevelWarn, "upload rejected by scanner",
					slog.String("error", err.Error()),
					slog.String("filename", name),
					slog.String("type", typ),
					slog.Int64("size", n),
					slog.String("request_id", reqctx.RequestID(ctx)))
			}
			return graphql.Upload{}, &rejection{code: CodeRejected, status: http.StatusUnprocessableEntity,
				message: "The file was rejected.",
				err:     fmt.Errorf("%w: scanner: %w", ErrRejected, err), detail: "scanner"}
		}
	}
	return graphql.Upload{File: bytes.NewReader(data), Filename: name, Size: n, ContentType: typ}, nil
}

func (g *Guard) allowedType(t string) bool {
	for _, a := range g.allowed {
		if a == t {
			return true
		}
	}
	return false
}
