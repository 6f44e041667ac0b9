/**
 * The one reader of docker/Dockerfile outside the image build: the bench starts services with the
 * command of their image target, and test/deploy/dockerfile.test.ts checks the stages, users,
 * commands and sources. It handles what that Dockerfile uses (the Dockerfile reference's syntax):
 * `\` line continuations, `#` comment lines (also between continued lines), `FROM <image> AS <name>`
 * stages, and instructions before the first FROM (ARG), which belong to stage ''.
 * https://docs.docker.com/reference/dockerfile/
 */

export interface DockerfileInstruction {
  /** The stage it belongs to ('' before the first FROM). */
  stage: string;
  /** Upper-cased: FROM, RUN, COPY, CMD, ... */
  keyword: string;
  /** Everything after the keyword, continuation lines joined with single spaces. */
  args: string;
}

export interface Dockerfile {
  /** Stage name → what it is built FROM (an image reference, an ARG, or another stage's name). */
  stages: Map<string, string>;
  instructions: DockerfileInstruction[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    // Comment lines are dropped even inside a continued instruction, as the builder does.
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full) lines.push(full);
  }
  if (pending.trim()) lines.push(pending.trim());

  const stages = new Map<string, string>();
  const instructions: DockerfileInstruction[] = [];
  let stage = '';
  for (const line of lines) {
    const space = line.search(/\s/);
    const keyword = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const args = space === -1 ? '' : line.slice(space).trim().replace(/\s+/g, ' ');
    if (keyword === 'FROM') {
      const match = /^(?:--platform=\S+ )?(\S+) AS (\S+)$/i.exec(args);
      if (!match?.[1] || !match[2]) throw new Error(`FROM without a stage name: ${line}`);
      stage = match[2];
      stages.set(stage, match[1]);
    }
    instructions.push({ stage, keyword, args });
  }
  return { stages, instructions };
}

/** The instructions of one stage, FROM first. */
export function stageInstructions(dockerfile: Dockerfile, stage: string): DockerfileInstruction[] {
  return dockerfile.instructions.filter((i) => i.stage === stage);
}

/** The stages a target is built from, itself first. */
export function stageLineage(dockerfile: Dockerfile, stage: string): string[] {
  const lineage: string[] = [];
  let current: string | undefined = stage;
  while (current !== undefined && dockerfile.stages.has(current) && !lineage.includes(current)) {
    lineage.push(current);
    current = dockerfile.stages.get(current);
  }
  return lineage;
}

/** The last value of an instruction a target has or inherits (CMD, USER, HEALTHCHECK, ...). */
export function effectiveInstruction(
  dockerfile: Dockerfile,
  target: string,
  keyword: string,
): string | undefined {
  for (const stage of stageLineage(dockerfile, target)) {
    const found = stageInstructions(dockerfile, stage).filter((i) => i.keyword === keyword);
    if (found.length > 0) return found[found.length - 1]?.args;
  }
  return undefined;
}

/** The exec-form CMD a target starts (`CMD ["node", ...]`); [] when it has none. */
export function imageCommand(dockerfile: Dockerfile, target: string): string[] {
  const cmd = effectiveInstruction(dockerfile, target, 'CMD');
  if (cmd === undefined) return [];
  const parsed: unknown = JSON.parse(cmd);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
    throw new Error(`CMD of ${target} is not in exec form (a JSON array of strings): ${cmd}`);
  return parsed;
}
