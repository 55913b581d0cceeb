package mockbroker

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/samsa-go/samsa/kerr"
)

// configKind says how a topic config value is validated.
type configKind int8

const (
	kindLong configKind = iota
	kindInt
	kindBool
	kindRatio
	kindString
	kindTimestampType
	kindCleanupPolicy
	kindCompression
)

// topicConfigDefaults lists the topic configs a broker accepts, with Kafka's
// defaults. A CreateTopics request naming any other config fails with
// INVALID_CONFIG, as it does on Kafka. Read-only.
var topicConfigDefaults = map[string]struct {
	kind configKind
	def  string
}{
	"cleanup.policy":                          {kindCleanupPolicy, "delete"},
	"compression.type":                        {kindCompression, "producer"},
	"compression.gzip.level":                  {kindInt, "-1"},
	"compression.lz4.level":                   {kindInt, "9"},
	"compression.zstd.level":                  {kindInt, "3"},
	"delete.retention.ms":                     {kindLong, "86400000"},
	"file.delete.delay.ms":                    {kindLong, "60000"},
	"flush.messages":                          {kindLong, "9223372036854775807"},
	"flush.ms":                                {kindLong, "9223372036854775807"},
	"follower.replication.throttled.replicas": {kindString, ""},
	"index.interval.bytes":                    {kindInt, "4096"},
	"leader.replication.throttled.replicas":   {kindString, ""},
	"local.retention.bytes":                   {kindLong, "-2"},
	"local.retention.ms":                      {kindLong, "-2"},
	"max.compaction.lag.ms":                   {kindLong, "9223372036854775807"},
	"max.message.bytes":                       {kindInt, strconv.Itoa(DefaultMaxMessageBytes)},
	"message.downconversion.enable":           {kindBool, "true"},
	"message.format.version":                  {kindString, "3.0-IV1"},
	"message.timestamp.after.max.ms":          {kindLong, "9223372036854775807"},
	"message.timestamp.before.max.ms":         {kindLong, "9223372036854775807"},
	"message.timestamp.difference.max.ms":     {kindLong, "9223372036854775807"},
	"message.timestamp.type":                  {kindTimestampType, "CreateTime"},
	"min.cleanable.dirty.ratio":               {kindRatio, "0.5"},
	"min.compaction.lag.ms":                   {kindLong, "0"},
	"min.insync.replicas":                     {kindInt, "1"},
	"preallocate":                             {kindBool, "false"},
	"remote.storage.enable":                   {kindBool, "false"},
	"retention.bytes":                         {kindLong, "-1"},
	"retention.ms":                            {kindLong, "604800000"},
	"segment.bytes":                           {kindInt, "1073741824"},
	"segment.index.bytes":                     {kindInt, "10485760"},
	"segment.jitter.ms":                       {kindLong, "0"},
	"segment.ms":                              {kindLong, "604800000"},
	"unclean.leader.election.enable":          {kindBool, "false"},
}

// Config sources as DescribeConfigs and CreateTopics report them.
const (
	configSourceTopic        int8 = 1 // DYNAMIC_TOPIC_CONFIG
	configSourceStaticBroker int8 = 4 // STATIC_BROKER_CONFIG
	configSourceDefault      int8 = 5 // DEFAULT_CONFIG
)

// topicConfig is a topic's configuration: what was set explicitly, and the
// values the broker acts on.
type topicConfig struct {
	set             map[string]string
	logAppendTime   bool
	forcedLogAppend bool // by WithLogAppendTime rather than a topic config
	maxMessageBytes int32
	compacted       bool
}

// topicConfigEntry is one config of a topic, for responses.
type topicConfigEntry struct {
	name, value string
	source      int8
}

// entries returns every config of the topic, sorted by name.
func (tc *topicConfig) entries() []topicConfigEntry {
	out := make([]topicConfigEntry, 0, len(topicConfigDefaults))
	for name, d := range topicConfigDefaults {
		e := topicConfigEntry{name: name, value: d.def, source: configSourceDefault}
		if v, ok := tc.set[name]; ok {
			e.value, e.source = v, configSourceTopic
		} else if name == "message.timestamp.type" && tc.forcedLogAppend {
			e.value, e.source = "LogAppendTime", configSourceStaticBroker
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// topicConfigFor validates the configs asked for a new topic and returns the
// resulting configuration. Errors wrap kerr.InvalidConfig.
func (c *Cluster) topicConfigFor(topic string, configs map[string]*string) (topicConfig, error) {
	tc := topicConfig{set: make(map[string]string, len(configs)), maxMessageBytes: DefaultMaxMessageBytes}
	for name, v := range configs {
		d, ok := topicConfigDefaults[name]
		if !ok {
			return tc, fmt.Errorf("%w: unknown topic config name: %s", kerr.InvalidConfig, name)
		}
		if v == nil {
			return tc, fmt.Errorf("%w: null value not supported for topic config %s", kerr.InvalidConfig, name)
		}
		if err := validateConfigValue(d.kind, *v); err != nil {
			return tc, fmt.Errorf("%w: invalid value %q for configuration %s: %v", kerr.InvalidConfig, *v, name, err)
		}
		tc.set[name] = *v
	}
	if v, ok := tc.set["max.message.bytes"]; ok {
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if n < 0 {
			return tc, fmt.Errorf("%w: invalid value %q for configuration max.message.bytes: must be at least 0", kerr.InvalidConfig, v)
		}
		tc.maxMessageBytes = int32(n)
	}
	tc.logAppendTime = tc.set["message.timestamp.type"] == "LogAppendTime"
	if c.cfg.logAppendTime[topic] {
		if _, set := tc.set["message.timestamp.type"]; !set {
			tc.logAppendTime, tc.forcedLogAppend = true, true
		}
	}
	tc.compacted = slices.Contains(splitList(tc.set["cleanup.policy"]), "compact")
	return tc, nil
}

func validateConfigValue(kind configKind, v string) error {
	switch kind {
	case kindLong:
		_, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return err
	case kindInt:
		_, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		return err
	case kindBool:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "false":
			return nil
		}
		return fmt.Errorf("expected true or false")
	case kindRatio:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil && (f < 0 || f > 1) {
			return fmt.Errorf("%v is outside [0, 1]", f)
		}
		return err
	case kindTimestampType:
		if v == "CreateTime" || v == "LogAppendTime" {
			return nil
		}
		return fmt.Errorf("expected CreateTime or LogAppendTime")
	case kindCleanupPolicy:
		for _, p := range splitList(v) {
			if p != "delete" && p != "compact" {
				return fmt.Errorf("%q is not delete or compact", p)
			}
		}
		return nil
	case kindCompression:
		switch v {
		case "producer", "uncompressed", "gzip", "snappy", "lz4", "zstd":
			return nil
		}
		return fmt.Errorf("expected one of producer, uncompressed, gzip, snappy, lz4, zstd")
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
