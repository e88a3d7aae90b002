package hcl

import hclv2 "github.com/hashicorp/hcl/v2"

// The structs in this file mirror the spec language block for block. Every
// attribute is kept as a *hclv2.Attribute so that its value is evaluated
// later, per target, with the target's own evaluation context (each.key),
// and so that every diagnostic can point at the exact expression.
//
// An attribute that sets one redis.conf directive as it is names the
// directive in a `directive` tag; targetDecoder.directives sets them all,
// in field order, with the attribute's place in the spec as the origin.

var rootSchema = &hclv2.BodySchema{
	Blocks: []hclv2.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "redis", LabelNames: []string{"name"}},
		{Type: "policy", LabelNames: []string{"name"}},
		{Type: "ignore"},
	},
}

type variableBlock struct {
	Type        *hclv2.Attribute   `hcl:"type,optional"`
	Default     *hclv2.Attribute   `hcl:"default,optional"`
	Description *hclv2.Attribute   `hcl:"description,optional"`
	Sensitive   *hclv2.Attribute   `hcl:"sensitive,optional"`
	Validations []*validationBlock `hcl:"validation,block"`
}

type validationBlock struct {
	Condition    *hclv2.Attribute `hcl:"condition"`
	ErrorMessage *hclv2.Attribute `hcl:"error_message"`
	DefRange     hclv2.Range      `hcl:",def_range"`
}

type policyBlock struct {
	Severity  *hclv2.Attribute `hcl:"severity,optional"`
	Condition *hclv2.Attribute `hcl:"condition"`
	Message   *hclv2.Attribute `hcl:"message"`
	Targets   *hclv2.Attribute `hcl:"targets,optional"`
	DefRange  hclv2.Range      `hcl:",def_range"`
}

type redisBlock struct {
	ForEach *hclv2.Attribute `hcl:"for_each,optional"`

	Address       *hclv2.Attribute `hcl:"address"`
	Username      *hclv2.Attribute `hcl:"username,optional"`
	Password      *hclv2.Attribute `hcl:"password,optional"`
	DB            *hclv2.Attribute `hcl:"db,optional"`
	ConfigCommand *hclv2.Attribute `hcl:"config_command,optional"`
	Timeout       *hclv2.Attribute `hcl:"timeout,optional"`
	ConfigFile    *hclv2.Attribute `hcl:"config_file,optional"`
	DataDir       *hclv2.Attribute `hcl:"data_dir,optional"`
	RedisVersion  *hclv2.Attribute `hcl:"redis_version,optional"`
	Settings      *hclv2.Attribute `hcl:"settings,optional"`
	Ephemeral     *hclv2.Attribute `hcl:"ephemeral,optional"`
	Durable       *hclv2.Attribute `hcl:"durable,optional"`
	HostMemory    *hclv2.Attribute `hcl:"host_memory,optional"`
	RPO           *hclv2.Attribute `hcl:"rpo,optional"`
	RTO           *hclv2.Attribute `hcl:"rto,optional"`
	Replicas      *hclv2.Attribute `hcl:"replicas,optional"`

	TLS         *tlsBlock         `hcl:"tls,block"`
	Service     *serviceBlock     `hcl:"service,block"`
	Persistence *persistenceBlock `hcl:"persistence,block"`
	Memory      *memoryBlock      `hcl:"memory,block"`
	Security    *securityBlock    `hcl:"security,block"`
	Monitoring  *monitoringBlock  `hcl:"monitoring,block"`
	Backup      *backupBlock      `hcl:"backup,block"`
	Alerts      *alertsBlock      `hcl:"alerts,block"`
	Cron        []*cronBlock      `hcl:"cron,block"`
	DefRange    hclv2.Range       `hcl:",def_range"`
}

type tlsBlock struct {
	CAFile             *hclv2.Attribute `hcl:"ca_file,optional"`
	CertFile           *hclv2.Attribute `hcl:"cert_file,optional"`
	KeyFile            *hclv2.Attribute `hcl:"key_file,optional"`
	ServerName         *hclv2.Attribute `hcl:"server_name,optional"`
	InsecureSkipVerify *hclv2.Attribute `hcl:"insecure_skip_verify,optional"`
}

type serviceBlock struct {
	Start           *hclv2.Attribute `hcl:"start,optional"`
	Stop            *hclv2.Attribute `hcl:"stop,optional"`
	Status          *hclv2.Attribute `hcl:"status,optional"`
	SystemdUnit     *hclv2.Attribute `hcl:"systemd_unit,optional"`
	DockerContainer *hclv2.Attribute `hcl:"docker_container,optional"`
}

type persistenceBlock struct {
	AOF *aofBlock `hcl:"aof,block"`
	RDB *rdbBlock `hcl:"rdb,block"`
}

type aofBlock struct {
	Enabled           *hclv2.Attribute `hcl:"enabled,optional" directive:"appendonly"`
	Fsync             *hclv2.Attribute `hcl:"fsync,optional" directive:"appendfsync"`
	RDBPreamble       *hclv2.Attribute `hcl:"rdb_preamble,optional" directive:"aof-use-rdb-preamble"`
	RewritePercentage *hclv2.Attribute `hcl:"rewrite_percentage,optional" directive:"auto-aof-rewrite-percentage"`
	RewriteMinSize    *hclv2.Attribute `hcl:"rewrite_min_size,optional" directive:"auto-aof-rewrite-min-size"`
	LoadTruncated     *hclv2.Attribute `hcl:"load_truncated,optional" directive:"aof-load-truncated"`
	Timestamps        *hclv2.Attribute `hcl:"timestamps,optional" directive:"aof-timestamp-enabled"`
	Filename          *hclv2.Attribute `hcl:"filename,optional" directive:"appendfilename"`
	Dirname           *hclv2.Attribute `hcl:"dirname,optional" directive:"appenddirname"`
}

type rdbBlock struct {
	Snapshots         []*snapshotBlock `hcl:"snapshot,block"`
	Compression       *hclv2.Attribute `hcl:"compression,optional" directive:"rdbcompression"`
	Checksum          *hclv2.Attribute `hcl:"checksum,optional" directive:"rdbchecksum"`
	StopWritesOnError *hclv2.Attribute `hcl:"stop_writes_on_error,optional" directive:"stop-writes-on-bgsave-error"`
	Filename          *hclv2.Attribute `hcl:"filename,optional" directive:"dbfilename"`
}

type snapshotBlock struct {
	After    *hclv2.Attribute `hcl:"after"`
	Changes  *hclv2.Attribute `hcl:"changes"`
	DefRange hclv2.Range      `hcl:",def_range"`
}

type memoryBlock struct {
	Max      *hclv2.Attribute `hcl:"max,optional" directive:"maxmemory"`
	Policy   *hclv2.Attribute `hcl:"policy,optional" directive:"maxmemory-policy"`
	Samples  *hclv2.Attribute `hcl:"samples,optional" directive:"maxmemory-samples"`
	Lazyfree *lazyfreeBlock   `hcl:"lazyfree,block"`
}

type lazyfreeBlock struct {
	Eviction  *hclv2.Attribute `hcl:"eviction,optional" directive:"lazyfree-lazy-eviction"`
	Expire    *hclv2.Attribute `hcl:"expire,optional" directive:"lazyfree-lazy-expire"`
	ServerDel *hclv2.Attribute `hcl:"server_del,optional" directive:"lazyfree-lazy-server-del"`
	UserDel   *hclv2.Attribute `hcl:"user_del,optional" directive:"lazyfree-lazy-user-del"`
	UserFlush *hclv2.Attribute `hcl:"user_flush,optional" directive:"lazyfree-lazy-user-flush"`
}

type securityBlock struct {
	DisabledCommands *hclv2.Attribute `hcl:"disabled_commands,optional"`
	RenamedCommands  *hclv2.Attribute `hcl:"renamed_commands,optional"`
	ProtectedMode    *hclv2.Attribute `hcl:"protected_mode,optional" directive:"protected-mode"`
	Bind             *hclv2.Attribute `hcl:"bind,optional" directive:"bind"`
	Requirepass      *hclv2.Attribute `hcl:"requirepass,optional"`
}

type monitoringBlock struct {
	SlowlogThreshold *hclv2.Attribute `hcl:"slowlog_threshold,optional"`
	SlowlogMaxLen    *hclv2.Attribute `hcl:"slowlog_max_len,optional"`
	LatencyThreshold *hclv2.Attribute `hcl:"latency_threshold,optional"`
	KeyspaceEvents   *hclv2.Attribute `hcl:"keyspace_events,optional"`
}

type backupBlock struct {
	ID            *hclv2.Attribute `hcl:"id,optional"`
	PreviousSpecs *hclv2.Attribute `hcl:"previous_specs,optional"`
	Schedule      *hclv2.Attribute `hcl:"schedule,optional"`
	Destination   *hclv2.Attribute `hcl:"destination"`
	Method        *hclv2.Attribute `hcl:"method,optional"`
	From          *hclv2.Attribute `hcl:"from,optional"`
	Include       *hclv2.Attribute `hcl:"include,optional"`
	Compression   *hclv2.Attribute `hcl:"compression,optional"`
	Recipients    *hclv2.Attribute `hcl:"recipients,optional"`
	CopyTo        *hclv2.Attribute `hcl:"copy_to,optional"`
	RequireDest   *hclv2.Attribute `hcl:"require_destination,optional"`
	Retention     *retentionBlock  `hcl:"retention,block"`
	S3            *s3Block         `hcl:"s3,block"`
	Archive       *archiveBlock    `hcl:"archive,block"`
	DefRange      hclv2.Range      `hcl:",def_range"`
}

// archiveBlock is backup { archive { ... } }: the continuous archive of
// the write stream beside the base backups.
type archiveBlock struct {
	Flush    *hclv2.Attribute `hcl:"flush,optional"`
	DefRange hclv2.Range      `hcl:",def_range"`
}

type s3Block struct {
	Endpoint  *hclv2.Attribute `hcl:"endpoint,optional"`
	Region    *hclv2.Attribute `hcl:"region,optional"`
	AccessKey *hclv2.Attribute `hcl:"access_key,optional"`
	SecretKey *hclv2.Attribute `hcl:"secret_key,optional"`
	PathStyle *hclv2.Attribute `hcl:"path_style,optional"`
	SSE       *hclv2.Attribute `hcl:"sse,optional"`
	DefRange  hclv2.Range      `hcl:",def_range"`
}

type retentionBlock struct {
	MaxAge      *hclv2.Attribute `hcl:"max_age,optional"`
	KeepLast    *hclv2.Attribute `hcl:"keep_last,optional"`
	KeepDaily   *hclv2.Attribute `hcl:"keep_daily,optional"`
	KeepWeekly  *hclv2.Attribute `hcl:"keep_weekly,optional"`
	KeepMonthly *hclv2.Attribute `hcl:"keep_monthly,optional"`
	KeepMin     *hclv2.Attribute `hcl:"keep_min,optional"`
}

type alertsBlock struct {
	Schedule *hclv2.Attribute `hcl:"schedule,optional"`
	Webhook  *hclv2.Attribute `hcl:"webhook,optional"`
	Repeat   *hclv2.Attribute `hcl:"repeat_interval,optional"`
	Notify   []*notifyBlock   `hcl:"notify,block"`
	DefRange hclv2.Range      `hcl:",def_range"`

	MemoryUsedPercent       *thresholdBlock `hcl:"memory_used_percent,block"`
	FragmentationRatio      *thresholdBlock `hcl:"fragmentation_ratio,block"`
	BackupAge               *thresholdBlock `hcl:"backup_age,block"`
	LastSaveAge             *thresholdBlock `hcl:"last_save_age,block"`
	BgsaveDuration          *thresholdBlock `hcl:"bgsave_duration,block"`
	EvictedKeys             *thresholdBlock `hcl:"evicted_keys,block"`
	RejectedConnections     *thresholdBlock `hcl:"rejected_connections,block"`
	ConnectedClients        *thresholdBlock `hcl:"connected_clients,block"`
	ConnectedClientsPercent *thresholdBlock `hcl:"connected_clients_percent,block"`
	BlockedClients          *thresholdBlock `hcl:"blocked_clients,block"`
	ReplicationLag          *thresholdBlock `hcl:"replication_lag,block"`
	ArchiveLag              *thresholdBlock `hcl:"archive_lag,block"`
	ArchiveGap              *statusBlock    `hcl:"archive_gap,block"`
	RDBSaveFailed           *statusBlock    `hcl:"rdb_save_failed,block"`
	AOFRewriteFailed        *statusBlock    `hcl:"aof_rewrite_failed,block"`
	AOFWriteFailed          *statusBlock    `hcl:"aof_write_failed,block"`
	BackupUnloadable        *statusBlock    `hcl:"backup_unloadable,block"`
}

type thresholdBlock struct {
	Warning  *hclv2.Attribute `hcl:"warning,optional"`
	Critical *hclv2.Attribute `hcl:"critical,optional"`
	DefRange hclv2.Range      `hcl:",def_range"`
}

type statusBlock struct {
	Severity *hclv2.Attribute `hcl:"severity"`
	DefRange hclv2.Range      `hcl:",def_range"`
}

// notifyBlock is one alert destination: a webhook, or Alertmanager's API
// (one URL, or a list for an HA group: each is posted to).
type notifyBlock struct {
	Webhook      *hclv2.Attribute `hcl:"webhook,optional"`
	Alertmanager *hclv2.Attribute `hcl:"alertmanager,optional"`
	Format       *hclv2.Attribute `hcl:"format,optional"`
	GeneratorURL *hclv2.Attribute `hcl:"generator_url,optional"`
	Headers      *hclv2.Attribute `hcl:"headers,optional"`
	DefRange     hclv2.Range      `hcl:",def_range"`
}

// cronBlock is one place the target's schedules run from: a crontab (the
// default kind), a directory of systemd units, or a directory of
// Kubernetes CronJobs. Which arguments apply depends on kind.
type cronBlock struct {
	Kind   *hclv2.Attribute `hcl:"kind,optional"`
	ID     *hclv2.Attribute `hcl:"id,optional"`
	File   *hclv2.Attribute `hcl:"file,optional"`
	User   *hclv2.Attribute `hcl:"user,optional"`
	RunAs  *hclv2.Attribute `hcl:"run_as,optional"`
	Binary *hclv2.Attribute `hcl:"binary,optional"`
	Log    *hclv2.Attribute `hcl:"log,optional"`

	Dir             *hclv2.Attribute `hcl:"dir,optional"`
	RandomizedDelay *hclv2.Attribute `hcl:"randomized_delay,optional"`

	Namespace        *hclv2.Attribute `hcl:"namespace,optional"`
	Image            *hclv2.Attribute `hcl:"image,optional"`
	ConfigMap        *hclv2.Attribute `hcl:"config_map,optional"`
	Secret           *hclv2.Attribute `hcl:"secret,optional"`
	TimeZone         *hclv2.Attribute `hcl:"time_zone,optional"`
	StartingDeadline *hclv2.Attribute `hcl:"starting_deadline,optional"`
	ImagePullPolicy  *hclv2.Attribute `hcl:"image_pull_policy,optional"`
	ServiceAccount   *hclv2.Attribute `hcl:"service_account,optional"`
	VolumeClaim      *hclv2.Attribute `hcl:"volume_claim,optional"`
	EnvFromSecrets   *hclv2.Attribute `hcl:"env_from_secrets,optional"`
	Resources        *hclv2.Attribute `hcl:"resources,optional"`
	SecurityContext  *hclv2.Attribute `hcl:"security_context,optional"`

	MailTo *hclv2.Attribute `hcl:"mail_to,optional"`

	DefRange hclv2.Range `hcl:",def_range"`
}

type ignoreBlock struct {
	Rule     *hclv2.Attribute `hcl:"rule"`
	Targets  *hclv2.Attribute `hcl:"targets,optional"`
	Reason   *hclv2.Attribute `hcl:"reason,optional"`
	Until    *hclv2.Attribute `hcl:"until,optional"`
	DefRange hclv2.Range      `hcl:",def_range"`
}
