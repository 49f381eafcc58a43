package kpi

import (
	"bytes"
	"embed"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeStrict decodes one YAML document into v, refusing fields v does not have.
func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// presetDir is a folder of embedded YAML presets, one file per name.
type presetDir struct {
	fs      embed.FS
	dir     string
	unknown error // the sentinel an unknown name wraps
}

// names lists the presets in order.
func (p presetDir) names() []string {
	entries, _ := p.fs.ReadDir(p.dir) // embedded: cannot fail
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	sort.Strings(out)
	return out
}

// has reports whether name is a preset.
func (p presetDir) has(name string) bool {
	_, err := p.read(name)
	return err == nil
}

// read returns the preset's file; an unknown name wraps p.unknown and lists the presets.
func (p presetDir) read(name string) ([]byte, error) {
	b, err := p.fs.ReadFile(p.dir + "/" + name + ".yaml")
	if err != nil || strings.ContainsAny(name, "/.") {
		return nil, fmt.Errorf("%w %q: the presets are %s", p.unknown, name, strings.Join(p.names(), ", "))
	}
	return b, nil
}
