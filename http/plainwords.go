package http

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"time"

	"github.com/pbledger/pbledger/domain"
)

// typeError says in plain words which field of a request has the wrong kind of value and what it should be,
// e.g. `field "districts.budget" must be a whole number of minor currency units (e.g. 50000000000 for
// 500,000,000.00 KZT), not a string` rather than Go's type names.
func typeError(e *json.UnmarshalTypeError) error {
	field := e.Field
	if field == "" {
		return errorf(codeMalformed, "the body must be %s, not %s", describeType(e.Type), describeJSON(e.Value))
	}
	return errorf(codeMalformed, "field %q must be %s, not %s", field, describeType(e.Type), describeJSON(e.Value))
}

// plainDecodeError words decoding errors that Go's messages leave obscure: a date not in RFC 3339 form.
func plainDecodeError(err error) (error, bool) {
	var perr *time.ParseError
	if errors.As(err, &perr) {
		return errorf(codeMalformed, "%q is not a date and time in RFC 3339 form; write it like \"2026-05-01T09:00:00+05:00\" (date, T, time, offset from UTC)", perr.Value), true
	}
	return nil, false
}

var (
	moneyType = reflect.TypeFor[domain.Money]()
	timeType  = reflect.TypeFor[time.Time]()
)

// describeType names what a Go type takes in JSON.
func describeType(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	switch t {
	case moneyType:
		return "a whole number of minor currency units (e.g. 50000000000 for 500,000,000.00 KZT)"
	case timeType:
		return `a date and time in RFC 3339 form, e.g. "2026-05-01T09:00:00+05:00"`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list [ … ] of " + strings.TrimPrefix(strings.TrimPrefix(describeType(t.Elem()), "a "), "an ")
	case reflect.Map, reflect.Struct:
		return "an object { … }"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return "another kind of value"
}

// describeJSON names the kind of JSON value json.UnmarshalTypeError reports ("string", "number 1.5", …).
func describeJSON(v string) string {
	switch {
	case v == "string":
		return "a string"
	case v == "bool":
		return "true or false"
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	case strings.HasPrefix(v, "number"):
		if n := strings.TrimSpace(strings.TrimPrefix(v, "number")); n != "" {
			return n
		}
		return "a number"
	}
	return v
}
