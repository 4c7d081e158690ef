import type { Reply, Route } from './http-routing.js';
import { ROOT } from './redfish-resources.js';

/** DMTF Task.TaskState values the lab uses. */
export type TaskState = 'New' | 'Pending' | 'Running' | 'Completed' | 'Exception';

export interface TaskMessage {
  MessageId: string;
  Message: string;
  Severity: 'OK' | 'Warning' | 'Critical';
}

/** What a test can observe of one task. */
export interface LabTask {
  id: string;
  name: string;
  state: TaskState;
  percent: number;
  messages: TaskMessage[];
  startTime: string;
  endTime: string | undefined;
}

export const TASKS = `${ROOT}/TaskService/Tasks`;
export const taskPath = (id: string) => `${TASKS}/${id}`;

const FINISHED: TaskState[] = ['Completed', 'Exception'];

/** The BMC's TaskService: long operations (firmware updates, staged RAID changes) as Tasks. */
export class TaskService {
  private readonly tasks = new Map<string, LabTask>();
  private next = 1;

  create(name: string, state: TaskState = 'New'): LabTask {
    const id = String(this.next++);
    const task: LabTask = {
      id,
      name,
      state,
      percent: 0,
      messages: [],
      startTime: new Date().toISOString(),
      endTime: undefined,
    };
    this.tasks.set(id, task);
    return task;
  }

  update(id: string, state: TaskState, change: { percent?: number; message?: TaskMessage } = {}) {
    const task = this.tasks.get(id);
    if (!task || FINISHED.includes(task.state)) return;
    task.state = state;
    if (change.percent !== undefined) task.percent = change.percent;
    if (change.message) task.messages.push(change.message);
    if (FINISHED.includes(state)) {
      task.endTime = new Date().toISOString();
      if (state === 'Completed') task.percent = 100;
    }
  }

  get(id: string): LabTask | undefined {
    return this.tasks.get(id);
  }

  list(): LabTask[] {
    return [...this.tasks.values()].map((t) => ({ ...t, messages: [...t.messages] }));
  }
}

export function task(t: LabTask): Record<string, unknown> {
  const failed = t.state === 'Exception';
  return {
    '@odata.type': '#Task.v1_4_3.Task',
    '@odata.id': taskPath(t.id),
    Id: t.id,
    Name: t.name,
    TaskState: t.state,
    TaskStatus: failed ? 'Critical' : 'OK',
    PercentComplete: t.percent,
    StartTime: t.startTime,
    ...(t.endTime ? { EndTime: t.endTime } : {}),
    Messages: t.messages,
  };
}

/** An accepted long operation: 202 with the Task's URI in Location, as DSP0266 §13.2 has it. */
export const accepted = (t: LabTask): Reply => ({
  status: 202,
  body: task(t),
  headers: { Location: taskPath(t.id) },
});

export function taskRoutes(tasks: TaskService): Route[] {
  return [
    {
      method: 'GET',
      path: `${ROOT}/TaskService`,
      handle: () => ({
        status: 200,
        body: {
          '@odata.type': '#TaskService.v1_1_4.TaskService',
          '@odata.id': `${ROOT}/TaskService`,
          Id: 'TaskService',
          Name: 'Task Service',
          ServiceEnabled: true,
          Tasks: { '@odata.id': TASKS },
        },
      }),
    },
    {
      method: 'GET',
      path: TASKS,
      handle: () => {
        const members = tasks.list().map((t) => ({ '@odata.id': taskPath(t.id) }));
        return {
          status: 200,
          body: {
            '@odata.type': '#TaskCollection.TaskCollection',
            '@odata.id': TASKS,
            Name: 'Task Collection',
            'Members@odata.count': members.length,
            Members: members,
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${TASKS}/{task}`,
      handle: (req) => {
        const found = tasks.get(req.params.task ?? '');
        if (found) return { status: 200, body: task(found) };
        return {
          status: 404,
          body: {
            error: {
              code: 'Base.1.8.ResourceMissingAtURI',
              message: `The resource at the URI ${req.path} was not found.`,
            },
          },
        };
      },
    },
  ];
}
