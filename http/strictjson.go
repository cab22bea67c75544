package http

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// checkJSON refuses what encoding/json would let through on its way into v: invalid UTF-8 (which it
// replaces with U+FFFD), lone UTF-16 surrogates in \u escapes (also replaced), a key repeated in one object
// (the last one wins there, while a gateway that reads the first sees another resident), and keys that name
// a field only case-insensitively ("DISTRICT_ID" for "district_id"). Unknown fields, types and syntax are
// left to the decoder, which reports them with their place; checkJSON only answers for what it finds in
// well-formed input and returns nil on anything it cannot parse.
//
// It is one pass over the body with no allocation for keys without escapes, so the ballot path stays as
// fast as it was (see docs/BENCHMARKS.md).
func checkJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return errorf(codeMalformed, "the body is not valid UTF-8")
	}
	sc := jsonScanner{b: body}
	sc.skipSpace()
	sc.value(fieldsOf(reflect.TypeOf(v)), 0)
	return sc.err
}

// maxJSONDepth bounds the nesting checkJSON follows; deeper input is left to the decoder.
const maxJSONDepth = 64

// jsonScanner is a minimal recursive-descent reader of JSON that checks keys and strings. It stops at the
// first problem it is sure of (err) or at the first syntax it does not understand (bad).
type jsonScanner struct {
	b   []byte
	i   int
	err error
	bad bool
}

func (s *jsonScanner) stopped() bool { return s.err != nil || s.bad }

func (s *jsonScanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value reads one value whose Go destination is described by t (nil: anything goes).
func (s *jsonScanner) value(t *typeFields, depth int) {
	if s.stopped() || s.i >= len(s.b) || depth > maxJSONDepth {
		s.bad = true
		return
	}
	switch c := s.b[s.i]; {
	case c == '{':
		s.object(t, depth)
	case c == '[':
		s.i++
		s.skipSpace()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return
		}
		var elem *typeFields
		if t != nil {
			elem = t.elem
		}
		for !s.stopped() {
			s.skipSpace()
			s.value(elem, depth+1)
			s.skipSpace()
			if s.i >= len(s.b) {
				s.bad = true
				return
			}
			if s.b[s.i] == ']' {
				s.i++
				return
			}
			if s.b[s.i] != ',' {
				s.bad = true
				return
			}
			s.i++
		}
	case c == '"':
		s.str()
	default:
		// A number, true, false or null: the decoder checks them.
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

func (s *jsonScanner) object(t *typeFields, depth int) {
	s.i++                  // {
	var seenBuf [16][]byte // most objects have fewer keys: no allocation
	seen := seenBuf[:0]
	for !s.stopped() {
		s.skipSpace()
		if s.i >= len(s.b) {
			s.bad = true
			return
		}
		if s.b[s.i] == '}' && len(seen) == 0 {
			s.i++
			return
		}
		if s.b[s.i] != '"' {
			s.bad = true
			return
		}
		key, ok := s.str()
		if !ok {
			return
		}
		for _, k := range seen {
			if bytes.Equal(k, key) {
				s.err = errorf(codeMalformed, "field %q appears twice in one object", key)
				return
			}
		}
		seen = append(seen, key)
		var next *typeFields
		if t != nil {
			switch {
			case t.fields != nil:
				f, ok := t.fields[string(key)]
				if !ok {
					if name := t.folded[strings.ToLower(string(key))]; name != "" {
						s.err = errorf(codeMalformed, "unknown field %q (field names are case-sensitive: %q)", key, name)
						return
					}
					// An unknown field: the decoder names it.
					s.bad = true
					return
				}
				next = f
			default:
				next = t.elem // a map's values
			}
		}
		s.skipSpace()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			s.bad = true
			return
		}
		s.i++
		s.skipSpace()
		s.value(next, depth+1)
		s.skipSpace()
		if s.i >= len(s.b) {
			s.bad = true
			return
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.bad = true
			return
		}
	}
}

// str reads a string at s.i and returns its value (a slice of the body unless it holds escapes). Lone
// surrogates are an error.
func (s *jsonScanner) str() ([]byte, bool) {
	start := s.i
	s.i++ // "
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			raw := s.b[start:s.i]
			if !escaped {
				return raw[1 : len(raw)-1], true
			}
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				s.bad = true
				return nil, false
			}
			return []byte(v), true
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				s.bad = true
				return nil, false
			}
			if s.b[s.i+1] != 'u' {
				s.i += 2
				continue
			}
			r, ok := hex4(s.b, s.i+2)
			if !ok {
				s.bad = true
				return nil, false
			}
			s.i += 6
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				s.err = errorf(codeMalformed, "the body holds a lone UTF-16 surrogate \\u%04X at byte %d", r, s.i-6)
				return nil, false
			case r >= 0xD800 && r <= 0xDBFF:
				lo, ok := rune(0), s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u'
				if ok {
					lo, ok = hex4(s.b, s.i+2)
				}
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					s.err = errorf(codeMalformed, "the body holds a lone UTF-16 surrogate \\u%04X at byte %d", r, s.i-6)
					return nil, false
				}
				s.i += 6
			}
		default:
			s.i++
		}
	}
	s.bad = true
	return nil, false
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// typeFields is what checkJSON knows of a Go destination type: a struct's JSON field names (exact, and
// lower-cased to name the right spelling), or the element type of a slice, array or map. nil means the
// type decodes itself (json.Unmarshaler) or takes anything.
type typeFields struct {
	fields map[string]*typeFields
	folded map[string]string
	elem   *typeFields
}

var (
	fieldCache    sync.Map // reflect.Type → *typeFields
	unmarshalerT  = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshal = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func fieldsOf(t reflect.Type) *typeFields {
	if t == nil {
		return nil
	}
	if f, ok := fieldCache.Load(t); ok {
		return f.(*typeFields)
	}
	f := buildFields(t, map[reflect.Type]*typeFields{})
	fieldCache.Store(t, f)
	return f
}

func buildFields(t reflect.Type, building map[reflect.Type]*typeFields) *typeFields {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerT) || reflect.PointerTo(t).Implements(textUnmarshal) {
		return nil
	}
	if f, ok := building[t]; ok {
		return f // a recursive type
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // []byte is a base64 string
		}
		f := &typeFields{}
		building[t] = f
		f.elem = buildFields(t.Elem(), building)
		return f
	case reflect.Map:
		f := &typeFields{}
		building[t] = f
		f.elem = buildFields(t.Elem(), building)
		return f
	case reflect.Struct:
		f := &typeFields{fields: map[string]*typeFields{}, folded: map[string]string{}}
		building[t] = f
		addStructFields(f, t, building)
		return f
	}
	return nil
}

// addStructFields adds t's JSON fields to f, with the fields of embedded structs promoted as encoding/json
// does.
func addStructFields(f *typeFields, t reflect.Type, building map[reflect.Type]*typeFields) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			et := sf.Type
			for et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				addStructFields(f, et, building)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f.fields[name] = buildFields(sf.Type, building)
		f.folded[strings.ToLower(name)] = name
	}
}
