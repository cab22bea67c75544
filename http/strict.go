package http

import (
	"mime"
	"strconv"
	"strings"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/ledger"
)

// checkContentType accepts a write's body only as application/json, with parameters (charset=utf-8) allowed:
// "application/jsonp", "text/plain; note=json" and "foo/json-evil" are refused with 415. A request without a
// body needs no Content-Type.
func checkContentType(values []string, body []byte) error {
	if len(values) == 0 {
		if len(strings.TrimSpace(string(body))) == 0 {
			return nil
		}
		return errorf(codeUnsupportedMediaType, "the body must be sent with Content-Type: application/json")
	}
	if len(values) > 1 {
		return errorf(codeUnsupportedMediaType, "Content-Type is given %d times; send it once, as application/json", len(values))
	}
	if values[0] == "application/json" {
		return nil // what every client sends: no parsing on the ballot path
	}
	mt, params, err := mime.ParseMediaType(values[0])
	if err != nil || mt != "application/json" {
		return errorf(codeUnsupportedMediaType, "the body must be JSON sent as Content-Type: application/json, not %q", values[0])
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errorf(codeUnsupportedMediaType, "JSON is UTF-8; charset=%s is not accepted", cs)
	}
	return nil
}

// parseIfMatch reads If-Match as RFC 9110 §13.1.1 has it: "*" (the resource exists) or a comma-separated list
// of entity tags, over one or more header lines. Comparison is strong: a weak tag (W/"1") never matches, and
// neither does a well-formed tag that is not one of ours (a revision number); both make the condition false
// (412), not the request malformed. Syntax that is not an entity tag is malformed (400).
func parseIfMatch(values []string) (*ledger.Precondition, error) {
	pre := &ledger.Precondition{}
	n := 0
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue // RFC 9110 §5.6.1: empty list elements are ignored
			}
			n++
			if item == "*" {
				pre.Any = true
				continue
			}
			weak := strings.HasPrefix(item, "W/")
			tag := strings.TrimPrefix(item, "W/")
			if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' || !etagc(tag[1:len(tag)-1]) {
				return nil, errorf(codeMalformed, "If-Match must be * or a list of entity tags such as \"3\", as sent in ETag")
			}
			if weak {
				continue
			}
			if rev, err := strconv.ParseUint(tag[1:len(tag)-1], 10, 64); err == nil && tag[1] != '+' {
				pre.Revisions = append(pre.Revisions, eventstore.Revision(rev))
			}
		}
	}
	if n == 0 {
		return nil, errorf(codeMalformed, "If-Match is empty; send * or an entity tag such as \"3\"")
	}
	if pre.Any && n > 1 {
		return nil, errorf(codeMalformed, "If-Match: * stands alone, not in a list")
	}
	return pre, nil
}

// etagc reports whether s holds only the characters an opaque tag may (RFC 9110 §8.8.3).
func etagc(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 0x21 && (c < 0x23 || c > 0x7e) && c < 0x80 {
			return false
		}
	}
	return true
}
