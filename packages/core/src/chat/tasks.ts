/** Who may stop a running generation: the end user of the app that started it. */
export interface TaskOwner {
  appId: string;
  endUserId: string;
}

/**
 * Running generations by Dify `task_id`, so `POST …/{task_id}/stop` can abort one. A stop by anyone
 * but the task's own end user does nothing (and says success, as Dify does: no oracle).
 */
export interface TaskRegistry {
  register(taskId: string, owner: TaskOwner, controller: AbortController): () => void;
  stop(taskId: string, owner: TaskOwner): Promise<void>;
}

/** Tasks of this process. Replicas share stops through `broadcast` (Redis pub/sub in production). */
export class LocalTaskRegistry implements TaskRegistry {
  private readonly tasks = new Map<string, { owner: TaskOwner; controller: AbortController }>();
  private readonly broadcast: ((taskId: string, owner: TaskOwner) => Promise<void>) | undefined;

  constructor(broadcast?: (taskId: string, owner: TaskOwner) => Promise<void>) {
    this.broadcast = broadcast;
  }

  register(taskId: string, owner: TaskOwner, controller: AbortController): () => void {
    this.tasks.set(taskId, { owner, controller });
    return () => {
      if (this.tasks.get(taskId)?.controller === controller) this.tasks.delete(taskId);
    };
  }

  async stop(taskId: string, owner: TaskOwner): Promise<void> {
    if (this.stopLocal(taskId, owner)) return;
    await this.broadcast?.(taskId, owner);
  }

  /** Aborts the task when it runs here and belongs to `owner`; true when it did. */
  stopLocal(taskId: string, owner: TaskOwner): boolean {
    const task = this.tasks.get(taskId);
    if (!task || task.owner.appId !== owner.appId || task.owner.endUserId !== owner.endUserId) return false;
    task.controller.abort(new Error("stopped by the user"));
    return true;
  }

  get size(): number {
    return this.tasks.size;
  }
}

/** The registry verbs use when the services carry none (tests, one-process embedded mode). */
export const defaultTaskRegistry = new LocalTaskRegistry();
