import { definePrompt } from '../../../platform/llm/index.js';

/**
 * 智能质检: the model splits the appeal into the citizen's requests, says which the reply answers, and rates the
 * reply's stance and politeness, as JSON. Policy citation, promises and personal data stay with the rules
 * (inspection-rules.ts). v1; raise the version with any change to these words.
 */
export const inspectionPrompt = definePrompt({
  name: 'governance.inspection',
  version: 1,
  system: '你是12345热线的答复质检员。把市民诉求拆分为各项具体诉求，逐项判断答复是否作出了实质回应；'
    + '评价答复的立场（是否推诿、指责市民，0到1）和文明用语（0到1）。只输出JSON：'
    + '{"requests":[{"text":"诉求原文","answered":true}],"stance":1,"politeness":1,"notes":["问题说明"]}',
  user: ({ appeal, reply }: { appeal: string; reply: string }) => `市民诉求：${appeal.slice(0, 3000)}\n答复：${reply.slice(0, 3000)}`,
});
