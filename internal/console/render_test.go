package console

import "testing"

func TestPagesParse(t *testing.T) {
	for _, name := range []string{"dashboard", "error"} {
		if pages[name] == nil {
			t.Errorf("page %q is not parsed", name)
		}
	}
}
