package domain

import (
	"strings"
	"unicode"
)

// Slug turns a name into an ID: lower-case ASCII letters and digits, with every run of other characters
// (spaces, punctuation) turned into one sep, and at most max bytes. Letters with diacritics lose them
// (Kraków → krakow, Włochy → wlochy, Bieńczyce → bienczyce) and Cyrillic is transliterated (Алматы → almaty,
// Қонаев → qonaev), so names from real files make readable IDs. Characters it cannot spell in ASCII are
// dropped. The result may be empty; the caller validates it as the ID it needs.
func Slug(name string, sep byte, max int) string {
	var b strings.Builder
	pending := false
	for _, r := range name {
		var t string
		switch {
		case r < 0x80:
			t = strings.ToLower(string(r))
		case r >= 0xC0 && r < 0x180:
			t = latinASCII[r-0xC0]
		default:
			t = cyrillicASCII[unicode.ToLower(r)]
		}
		var keep strings.Builder
		for i := 0; i < len(t); i++ {
			if c := t[i]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				keep.WriteByte(c)
			}
		}
		if keep.Len() == 0 {
			if unicode.IsLetter(r) {
				continue // a letter spelled with no ASCII letter (a Cyrillic soft sign, a script it does not know): no separator
			}
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(sep)
			pending = false
		}
		b.WriteString(keep.String())
	}
	s := b.String()
	if len(s) > max {
		s = strings.TrimRight(s[:max], string(sep))
	}
	return s
}

// latinASCII spells U+00C0..U+017F (Latin-1 Supplement and Latin Extended-A) in lower-case ASCII.
var latinASCII = [0x180 - 0xC0]string{
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o",
	"o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss", "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e",
	"e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th",
	"y", "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", "d", "d", "e", "e",
	"e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g", "g", "g", "g", "g", "h", "h", "h", "h", "i",
	"i", "i", "i", "i", "i", "i", "i", "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l",
	"l", "l", "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o", "o", "o", "oe",
	"oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", "t", "t",
	"u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z",
	"z", "z", "s",
}

// cyrillicASCII spells lower-case Russian, Kazakh and Ukrainian letters in ASCII.
var cyrillicASCII = map[rune]string{
	'а': "a",
	'б': "b",
	'в': "v",
	'г': "g",
	'д': "d",
	'е': "e",
	'ё': "e",
	'ж': "zh",
	'з': "z",
	'и': "i",
	'й': "y",
	'к': "k",
	'л': "l",
	'м': "m",
	'н': "n",
	'о': "o",
	'п': "p",
	'р': "r",
	'с': "s",
	'т': "t",
	'у': "u",
	'ф': "f",
	'х': "kh",
	'ц': "ts",
	'ч': "ch",
	'ш': "sh",
	'щ': "shch",
	'ъ': "",
	'ы': "y",
	'ь': "",
	'э': "e",
	'ю': "yu",
	'я': "ya",
	'ә': "a",
	'ғ': "g",
	'қ': "q",
	'ң': "n",
	'ө': "o",
	'ұ': "u",
	'ү': "u",
	'һ': "h",
	'і': "i",
	'є': "ye",
	'ї': "yi",
	'ґ': "g",
	'ў': "u",
	'ј': "j",
}
