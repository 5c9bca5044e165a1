import { defineProblems } from '../../platform/errors/problem-codes.js';

/** Hotline intelligence's problem codes: classifier models, training, labels and the dictionary. */
export const intelProblems = defineProblems({
  HOTLINE_INTEL_MODEL_NOT_FOUND: { status: 404, title: 'Classifier model version not found', zh: '分类模型版本不存在' },
  HOTLINE_INTEL_MODEL_FORMAT: { status: 409, title: 'Classifier model stored in a format this release cannot read', zh: '分类模型格式与当前版本不兼容' },
  HOTLINE_INTEL_TRAINING_RUNNING: { status: 409, title: 'A classifier training is already running', zh: '已有分类模型训练正在进行' },
  HOTLINE_INTEL_TOO_FEW_EXAMPLES: { status: 422, title: 'Too few categorised tickets to train a classifier', zh: '已分类工单过少，无法训练分类模型' },
  HOTLINE_INTEL_JOB_NOT_FOUND: { status: 404, title: 'Training job not found', zh: '训练任务不存在' },
  HOTLINE_INTEL_WORD_NOT_FOUND: { status: 404, title: 'Word not in the user dictionary', zh: '用户词典中没有该词' },
  HOTLINE_INTEL_DOCUMENT_UNREADABLE: { status: 422, title: 'The document cannot be read (wrong type, damaged, encrypted or without text)', zh: '无法读取该文档（类型不符、已损坏、已加密或无文字）' },
  HOTLINE_INTEL_DOCUMENT_TOO_LARGE: { status: 413, title: 'The document is larger than the knowledge base accepts', zh: '文档超出知识库允许的大小' },
  HOTLINE_INTEL_DOCUMENT_NOT_FOUND: { status: 404, title: 'Knowledge-base document not found or already retired', zh: '知识库文档不存在或已废止' },
});

declare module '../../platform/errors/problem-codes.js' {
  interface ProblemCodes extends Codes {}
}
type Codes = typeof intelProblems;
