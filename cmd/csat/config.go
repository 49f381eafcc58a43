package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"

	"github.com/caarlos0/env/v11"
)

// logConfig selects the log format and level.
type logConfig struct {
	// Level is the minimum level logged: debug, info, warn or error. Default info.
	Level string `env:"CSAT_LOG_LEVEL" envDefault:"info"`
	// Format is text or json. Default text.
	Format string `env:"CSAT_LOG_FORMAT" envDefault:"text"`
}

func (c logConfig) validate() error {
	switch strings.ToLower(c.Level) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("CSAT_LOG_LEVEL: %q is not one of debug, info, warn, error", c.Level)
	}
	switch c.Format {
	case "text", "json":
	default:
		return fmt.Errorf("CSAT_LOG_FORMAT: %q is not text or json", c.Format)
	}
	return nil
}

func (c logConfig) level() slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(c.Level)) // validated
	return l
}

func newLogger(w io.Writer, c logConfig) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.level()}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// parseConfig reads every CSAT_* variable from environ ("K=V" pairs) and validates it.
func parseConfig(environ []string) (*config, error) {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	var c config
	if err := env.ParseWithOptions(&c, env.Options{Environment: m}); err != nil {
		return nil, explainEnvError(err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// explainEnvError rewrites caarlos0/env's errors, which name struct fields, so that they name the
// environment variable instead ("CSAT_MIN_SAMPLE: strconv.ParseInt: parsing "x": invalid syntax").
func explainEnvError(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	keys := fieldKeys(reflect.TypeOf(config{}))
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if ks := keys[pe.Name]; len(ks) == 1 {
				msgs = append(msgs, fmt.Sprintf("%s: %v", ks[0], pe.Err))
				continue
			}
		}
		msgs = append(msgs, e.Error())
	}
	return errors.New(strings.Join(msgs, "; "))
}

// fieldKeys maps struct field names to the environment variables they are read from.
func fieldKeys(t reflect.Type) map[string][]string {
	out := map[string][]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if k, _, _ := strings.Cut(f.Tag.Get("env"), ","); k != "" && k != "-" {
				out[f.Name] = append(out[f.Name], k)
				continue
			}
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type)
			}
		}
	}
	walk(t)
	return out
}

// envVars lists every environment variable of the configuration with its default, in order.
func envVars() []envVar {
	var out []envVar
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if k, _, _ := strings.Cut(f.Tag.Get("env"), ","); k != "" && k != "-" {
				out = append(out, envVar{Name: k, Default: f.Tag.Get("envDefault")})
				continue
			}
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(config{}))
	return out
}

type envVar struct{ Name, Default string }
