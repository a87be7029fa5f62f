import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkTerraformDir,
  formatResult,
  loadTypeSchema,
  providerSchemaVersion,
  type CheckResult,
} from "../tools/terraform-check.ts";

const TF_DIR = join(import.meta.dirname, "..", "terraform");
const scratch = mkdtempSync(join(tmpdir(), "revrisk-tf-"));
let n = 0;

/** A copy of terraform/ with one textual edit applied to one file. */
function brokenCopy(file: string, from: string | RegExp, to: string): string {
  const dir = join(scratch, `case-${n++}`);
  cpSync(TF_DIR, dir, { recursive: true });
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit did not apply to ${file}: ${String(from)}`);
  writeFileSync(path, next);
  return dir;
}

const messages = (r: CheckResult) => r.errors.map((e) => `${e.file}: ${e.where}: ${e.message}`);

let real: CheckResult;
beforeAll(async () => {
  real = await checkTerraformDir(TF_DIR);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("terraform/ passes the offline check", () => {
  it("is syntactically and schema-valid for AWS provider 6.x with no dangling references", () => {
    expect(providerSchemaVersion()).toMatch(/^6\./);
    expect(messages(real)).toEqual([]);
    expect(real.ok).toBe(true);
    expect(real.files).toBeGreaterThanOrEqual(5);
    expect(real.resources).toBeGreaterThanOrEqual(20);
    expect(real.references).toBeGreaterThan(100);
    expect(formatResult(real)).toMatch(/→ VALID$/);
  });

  it("has no warnings: every variable has a type and a description", () => {
    expect(real.warnings).toEqual([]);
    for (const [name, v] of real.config.variables) {
      expect(v.body, name).toHaveProperty("type");
      expect(v.body, name).toHaveProperty("description");
    }
    for (const [name, o] of real.config.outputs) expect(o.body, name).toHaveProperty("description");
  });
});

describe("the check catches broken configurations", () => {
  it("a misspelled argument", async () => {
    const r = await checkTerraformDir(
      brokenCopy("sqs.tf", "visibility_timeout_seconds = var.", "visiblity_timeout_seconds = var."),
    );
    expect(r.ok).toBe(false);
    expect(messages(r).join("\n")).toMatch(
      /aws_sqs_queue\.jobs\.visiblity_timeout_seconds: unsupported argument or block "visiblity_timeout_seconds"/,
    );
  });

  it("a misspelled argument deep inside a nested block", async () => {
    const r = await checkTerraformDir(
      brokenCopy("autoscaling.tf", 'metric_name = "RunningTaskCount"', 'metric_nam = "RunningTaskCount"'),
    );
    const all = messages(r).join("\n");
    expect(all).toMatch(/metric_stat\.metric\.metric_nam: unsupported argument or block "metric_nam"/);
    expect(all).toMatch(/metric_stat\.metric: missing required argument "metric_name"/);
  });

  it("a dangling resource reference", async () => {
    const r = await checkTerraformDir(
      brokenCopy("iam.tf", "resources = [aws_sqs_queue.dlq.arn]", "resources = [aws_sqs_queue.dead.arn]"),
    );
    expect(messages(r).join("\n")).toMatch(/reference aws_sqs_queue\.dead\.arn: undeclared resource/);
  });

  it("dangling var / local / data references and unknown attributes", async () => {
    const dir = brokenCopy(
      "outputs.tf",
      "value       = aws_sqs_queue.jobs.url",
      "value       = aws_sqs_queue.jobs.urll",
    );
    writeFileSync(
      join(dir, "extra.tf"),
      'output "x" {\n  value = [var.nope, local.nope, data.aws_iam_policy_document.nope.json, module.nope.id, nope]\n}\n',
    );
    const all = messages(await checkTerraformDir(dir)).join("\n");
    expect(all).toMatch(/aws_sqs_queue has no attribute "urll"/);
    expect(all).toMatch(/reference var\.nope: undeclared variable/);
    expect(all).toMatch(/reference local\.nope: undeclared local value/);
    expect(all).toMatch(/reference data\.aws_iam_policy_document\.nope\.json: undeclared data source/);
    expect(all).toMatch(/reference module\.nope\.id: undeclared module/);
    expect(all).toMatch(/undeclared name "nope"/);
  });

  it("a missing required argument", async () => {
    const r = await checkTerraformDir(
      brokenCopy("autoscaling.tf", /\n\s*scalable_dimension = "ecs:service:DesiredCount"/, ""),
    );
    expect(messages(r).join("\n")).toMatch(
      /aws_appautoscaling_target\.scorer: missing required argument "scalable_dimension"/,
    );
  });

  it("an unknown resource type and a syntax error", async () => {
    const dir = brokenCopy("sqs.tf", 'resource "aws_sqs_queue" "dlq"', 'resource "aws_sqs_queu" "dlq"');
    writeFileSync(join(dir, "bad.tf"), 'locals {\n  a = "x" "y"\n}\n');
    const all = messages(await checkTerraformDir(dir)).join("\n");
    expect(all).toMatch(/unknown resource type "aws_sqs_queu"/);
    expect(all).toMatch(/bad\.tf: : syntax: /);
  });

  it("loads a provider type schema once and caches it", () => {
    const a = loadTypeSchema("resource", "aws_sqs_queue");
    expect(a?.block.args.get("redrive_policy")).toEqual({ required: false });
    expect(a?.attributes.has("url")).toBe(true);
    expect(loadTypeSchema("resource", "aws_sqs_queue")).toBe(a);
    expect(loadTypeSchema("data", "aws_iam_policy_document")?.attributes.has("json")).toBe(true);
    expect(loadTypeSchema("resource", "aws_no_such_thing")).toBeUndefined();
  });
});

// ------------------------------------------------------------------------------------------------
// Wiring: the pieces point at each other
// ------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const res = (key: string) => real.config.resources.get(key)?.body as Obj;
const dat = (key: string) => real.config.data.get(key)?.body as Obj;
const first = (v: unknown) => (Array.isArray(v) ? (v[0] as Obj) : (v as Obj));
const statements = (doc: Obj) => doc["statement"] as Array<{ actions: string[]; resources: string[] }>;

describe("wiring", () => {
  it("the job queue's redrive policy targets the DLQ, and the DLQ only allows the job queue", () => {
    const jobs = res("aws_sqs_queue.jobs");
    expect(jobs["redrive_policy"]).toMatch(/deadLetterTargetArn\s*=\s*aws_sqs_queue\.dlq\.arn/);
    expect(jobs["redrive_policy"]).toMatch(/maxReceiveCount\s*=\s*var\.max_receive_count/);
    expect(jobs["receive_wait_time_seconds"]).toBe(20);
    expect(jobs["visibility_timeout_seconds"]).toBe("${var.visibility_timeout_seconds}");
    const allow = res("aws_sqs_queue_redrive_allow_policy.dlq");
    expect(allow["queue_url"]).toBe("${aws_sqs_queue.dlq.id}");
    expect(allow["redrive_allow_policy"]).toMatch(/byQueue[\s\S]*aws_sqs_queue\.jobs\.arn/);
  });

  it("the visibility timeout is validated against the scorer batch time", () => {
    const v = real.config.variables.get("visibility_timeout_seconds")!.body;
    expect(JSON.stringify(v["validation"])).toMatch(
      /var\.visibility_timeout_seconds >= 2 \* var\.scorer_batch_seconds/,
    );
  });

  it("alarms watch DLQ depth and the age of the oldest job", () => {
    const dlq = res("aws_cloudwatch_metric_alarm.dlq_not_empty");
    expect(dlq["metric_name"]).toBe("ApproximateNumberOfMessagesVisible");
    expect(dlq["dimensions"]).toEqual({ QueueName: "${aws_sqs_queue.dlq.name}" });
    expect(dlq["threshold"]).toBe(0);
    const age = res("aws_cloudwatch_metric_alarm.oldest_message_age");
    expect(age["metric_name"]).toBe("ApproximateAgeOfOldestMessage");
    expect(age["dimensions"]).toEqual({ QueueName: "${aws_sqs_queue.jobs.name}" });
  });

  it("the scaling policy's metric math uses the queue, the cluster and the service, and targets lag × throughput", () => {
    const target = res("aws_appautoscaling_target.scorer");
    expect(target["resource_id"]).toBe(
      "service/${aws_ecs_cluster.scorer.name}/${aws_ecs_service.scorer.name}",
    );
    expect(target["scalable_dimension"]).toBe("ecs:service:DesiredCount");
    const policy = res("aws_appautoscaling_policy.backlog_per_task");
    expect(policy["policy_type"]).toBe("TargetTrackingScaling");
    expect(policy["resource_id"]).toBe("${aws_appautoscaling_target.scorer.resource_id}");
    const tt = first(policy["target_tracking_scaling_policy_configuration"]);
    expect(tt["target_value"]).toBe("${local.target_backlog_per_task}");
    expect(tt["scale_in_cooldown"]).toBe("${var.scale_in_cooldown_seconds}");
    expect(real.config.locals.get("target_backlog_per_task")!.body).toMatch(
      /var\.target_lag_seconds \* var\.per_task_throughput/,
    );
    const metrics = first(tt["customized_metric_specification"])["metrics"] as Obj[];
    const byId = new Map(metrics.map((m) => [m["id"] as string, m]));
    const metricOf = (id: string) => first(first(byId.get(id)!["metric_stat"])["metric"]);
    expect(byId.get("e1")!["expression"]).toBe("(m1 + m3) / IF(m2 > 0, m2, 1)");
    expect(byId.get("e1")!["return_data"]).toBe(true);
    for (const id of ["m1", "m2", "m3"]) expect(byId.get(id)!["return_data"]).toBe(false);
    expect(metricOf("m1")["metric_name"]).toBe("ApproximateNumberOfMessagesVisible");
    expect(metricOf("m3")["metric_name"]).toBe("ApproximateNumberOfMessagesNotVisible");
    for (const id of ["m1", "m3"])
      expect(metricOf(id)["dimensions"]).toEqual([
        { name: "QueueName", value: "${aws_sqs_queue.jobs.name}" },
      ]);
    expect(metricOf("m2")["namespace"]).toBe("ECS/ContainerInsights");
    expect(metricOf("m2")["dimensions"]).toEqual([
      { name: "ClusterName", value: "${aws_ecs_cluster.scorer.name}" },
      { name: "ServiceName", value: "${aws_ecs_service.scorer.name}" },
    ]);
    // RunningTaskCount exists only with Container Insights on
    expect(res("aws_ecs_cluster.scorer")["setting"]).toEqual([
      { name: "containerInsights", value: "enabled" },
    ]);
  });

  it("the task role may only consume the job queue and send to the DLQ", () => {
    const doc = dat("aws_iam_policy_document.task");
    const [consume, dead] = statements(doc);
    expect(consume!.actions.sort()).toEqual([
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]);
    expect(consume!.resources).toEqual(["${aws_sqs_queue.jobs.arn}"]);
    expect(dead!.actions).toContain("sqs:SendMessage");
    expect(dead!.resources).toEqual(["${aws_sqs_queue.dlq.arn}"]);
    expect(res("aws_iam_role_policy.task")["role"]).toBe("${aws_iam_role.task.id}");
    const td = res("aws_ecs_task_definition.scorer");
    expect(td["task_role_arn"]).toBe("${aws_iam_role.task.arn}");
    expect(td["execution_role_arn"]).toBe("${aws_iam_role.execution.arn}");
    expect(td["container_definitions"]).toMatch(/type = "GPU", value = "1"/);
    expect(td["container_definitions"]).toMatch(/\/healthz/);
  });

  it("the ingest user may only SendMessage / GetQueueUrl on the job queue", () => {
    const [send, ...rest] = statements(dat("aws_iam_policy_document.ingest"));
    expect(rest).toEqual([]);
    expect(send!.actions.sort()).toEqual(["sqs:GetQueueUrl", "sqs:SendMessage"]);
    expect(send!.resources).toEqual(["${aws_sqs_queue.jobs.arn}"]);
    expect(res("aws_iam_user_policy.ingest")["user"]).toBe("${aws_iam_user.ingest.name}");
  });

  it("no IAM statement grants a wildcard action, and only ecr:GetAuthorizationToken uses resource *", () => {
    for (const [key, d] of real.config.data) {
      if (!key.startsWith("aws_iam_policy_document.")) continue;
      for (const s of statements(d.body as Obj)) {
        for (const a of s.actions) expect(a, key).not.toMatch(/\*/);
        if (s.resources?.includes("*")) expect(s.actions, key).toEqual(["ecr:GetAuthorizationToken"]);
      }
    }
  });

  it("the service runs on the GPU capacity provider whose ASG the capacity provider manages", () => {
    const svc = res("aws_ecs_service.scorer");
    expect(first(svc["capacity_provider_strategy"])["capacity_provider"]).toBe(
      "${aws_ecs_capacity_provider.gpu.name}",
    );
    const cp = first(res("aws_ecs_capacity_provider.gpu")["auto_scaling_group_provider"]);
    expect(cp["auto_scaling_group_arn"]).toBe("${aws_autoscaling_group.gpu.arn}");
    expect(first(cp["managed_scaling"])["status"]).toBe("ENABLED");
    expect(res("aws_autoscaling_group.gpu")["protect_from_scale_in"]).toBe(true);
  });
});
