require 'base64'
require 'json'
require_relative '../../../lib/community/app_handler' # marketplace-community's harness: VM creation and removal

# SLM-Copilot certification: the harness instantiates its `base` template with this appliance's image and the
# context of metadata.yaml (ONEAPP_COPILOT_AUTH_KEYS = a known key), then these run on the VM as root over SSH.
#
# The first boot loads a 14 GB model on CPU: bootstrap may take several minutes, so the waits below are long.
describe 'SLM-Copilot appliance' do
    include_context('vm_handler')

    # metadata.yaml gives ONEAPP_COPILOT_AUTH_KEYS as "name:key".
    def key_name
        APP_CONTEXT_PARAMS[:COPILOT_AUTH_KEYS].split(':', 2).first
    end

    def api_key
        APP_CONTEXT_PARAMS[:COPILOT_AUTH_KEYS].split(':', 2).last
    end

    # VM#ssh wraps the command in double quotes for the front-end's shell: send scripts base64-encoded so that
    # quotes, $ and JSON reach the VM's bash unchanged.
    def vm_run(script)
        @info[:vm].ssh("echo #{Base64.strict_encode64(script)} | base64 -d | bash")
    end

    def wait_for(what, timeout, interval = 10)
        deadline = Time.now + timeout
        loop do
            result = yield
            return result if result

            raise "#{what}: not reached within #{timeout} s" if Time.now > deadline

            sleep interval
        end
    end

    it 'finishes bootstrap (one-apps MOTD)' do
        wait_for('All set and ready to serve', 1800, 20) do
            vm_run('cat /etc/motd').stdout.include?('All set and ready to serve')
        end
    end

    it 'runs LocalAI, the relay and nginx' do
        ['local-ai', 'slm-copilot-relay', 'nginx'].each do |service|
            result = wait_for("#{service} active", 300) do
                r = vm_run("systemctl is-active #{service}")
                r if r.success?
            end
            expect(result.stdout.strip).to eq('active')
        end
    end

    it 'writes the report, root only, with the endpoint and the Cline settings' do
        result = vm_run('stat -c %a /etc/one-appliance/config && cat /etc/one-appliance/config')
        expect(result.success?).to be(true)
        mode, report = result.stdout.split("\n", 2)
        expect(mode).to eq('600')
        expect(report).to include('[Connection]', '[Cline]', 'base_url = https://', 'model_id = devstral-small-2')
        expect(report).to include("#{key_name} = #{api_key}")
    end

    it 'answers /health without a key' do
        result = vm_run("curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1/health")
        expect(result.stdout.strip).to eq('200')
    end

    it 'refuses the API without a key (401)' do
        result = vm_run("curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1/v1/models")
        expect(result.stdout.strip).to eq('401')
    end

    it 'lists the model with the key' do
        result = vm_run("curl -sk -H 'Authorization: Bearer #{api_key}' https://127.0.0.1/v1/models")
        expect(result.success?).to be(true)
        ids = JSON.parse(result.stdout)['data'].map { |model| model['id'] }
        expect(ids).to include('devstral-small-2')
    end

    it 'completes a chat with the key' do
        body = JSON.generate(
            model: 'devstral-small-2',
            max_tokens: 16,
            messages: [{ role: 'user', content: 'Reply with the single word: ready' }]
        )
        script = <<~SCRIPT
            curl -sk --max-time 900 https://127.0.0.1/v1/chat/completions \\
              -H 'Authorization: Bearer #{api_key}' -H 'Content-Type: application/json' \\
              --data-binary @- <<'JSON'
            #{body}
            JSON
        SCRIPT
        result = vm_run(script)
        expect(result.success?).to be(true)
        answer = JSON.parse(result.stdout)
        expect(answer.dig('choices', 0, 'message', 'content').to_s.strip).not_to be_empty
    end
end
